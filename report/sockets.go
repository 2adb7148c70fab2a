package report

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ajarsec/ajar/record"
)

// WriteSockets writes sockets to w in format f: a list, in the order the
// caller gave it, in the format's own layout for sockets (FormatSpec's
// Sockets).
func WriteSockets(w io.Writer, f Format, ss []record.Socket, st Style) error {
	s, ok := registry[f]
	if !ok || s.Sockets == nil {
		return fmt.Errorf("unknown output format %q for sockets (want %s)", f, socketFormatNames())
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := s.Sockets(bw, ss, st); err != nil {
		return err
	}
	return bw.Flush()
}

// appendSocketJSON writes one socket as a JSON object. Its field names are
// a stable interface: proto, address, port, state, pid, process, user,
// exposure, interfaces, cmdline; then peer, dual_stack, device and inode;
// then holders, every process that holds the socket ([{"pid","process"}],
// lowest pid first: pid and process are the first).
func appendSocketJSON(b jsonBuf, s *record.Socket) jsonBuf {
	b = append(b, '{')
	b = b.key("proto").str(s.Proto.String())
	b = b.key("address").addr(s.Local.Addr())
	b = b.key("port").uint(uint64(s.Local.Port()))
	b = b.key("state").str(s.State.String())
	b = b.key("pid")
	if s.PID > 0 {
		b = b.uint(uint64(s.PID))
	} else {
		b = append(b, "null"...)
	}
	b = b.key("process").strOrNull(s.Process)
	b = b.key("user").strOrNull(s.User)
	b = b.key("exposure").str(s.Exposure.String())
	b = b.key("interfaces").strs(s.Interfaces)
	b = b.key("cmdline").strOrNull(s.Cmdline)
	b = b.key("peer")
	if s.Peer.IsValid() {
		b = b.addrPort(s.Peer)
	} else {
		b = append(b, "null"...)
	}
	b = b.key("dual_stack").bool(s.DualStack())
	b = b.key("device").strOrNull(s.Device)
	b = b.key("inode").uint(s.Inode)
	b = b.key("holders")
	b = append(b, '[')
	for i, h := range s.Holders {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		b = b.key("pid").uint(uint64(h.PID))
		b = b.key("process").strOrNull(h.Process)
		b = append(b, '}')
	}
	b = append(b, ']')
	return append(b, '}')
}

var socketCSVHeader = []string{"proto", "address", "port", "state", "pid", "process", "user",
	"exposure", "interfaces", "cmdline", "peer", "dual_stack", "device", "inode", "holders"}

// holderPIDs joins the pids of the socket's holders with sep, "" when none.
func holderPIDs(s *record.Socket, sep string) string {
	if len(s.Holders) == 0 {
		if s.PID > 0 {
			return strconv.Itoa(s.PID)
		}
		return ""
	}
	b := make([]byte, 0, 8*len(s.Holders))
	for i, h := range s.Holders {
		if i > 0 {
			b = append(b, sep...)
		}
		b = strconv.AppendInt(b, int64(h.PID), 10)
	}
	return string(b)
}

// holderNames joins the distinct names of the socket's holders with ",",
// in the order of their pids.
func holderNames(s *record.Socket) string {
	if len(s.Holders) < 2 {
		return s.Process
	}
	var names []string
	for _, h := range s.Holders {
		if h.Process != "" && !slices.Contains(names, h.Process) {
			names = append(names, h.Process)
		}
	}
	return strings.Join(names, ",")
}

// exposureText is the table's EXPOSURE cell: "loopback", "all",
// "all (v4+v6)", "all (v6 only)", "address", "interface eth0" (bound to
// the device), "local-link eth0".
func exposureText(s *record.Socket) string {
	switch s.Exposure {
	case record.ExposureAll:
		switch {
		case s.DualStack():
			return "all (v4+v6)"
		case s.Local.Addr().Is6():
			return "all (v6 only)"
		}
		return "all"
	case record.ExposureInterface, record.ExposureLocalLink:
		if len(s.Interfaces) == 1 {
			return s.Exposure.String() + " " + s.Interfaces[0]
		}
	}
	return s.Exposure.String()
}

func exposureColor(e record.Exposure) string {
	switch e {
	case record.ExposureAll:
		return ansiBold + ansiRed
	case record.ExposureInterface, record.ExposureLocalLink, record.ExposureAddress:
		return ansiYellow
	case record.ExposureLoopback:
		return ansiGreen
	}
	return ""
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// cell is one table cell; color, when set, wraps the padded text.
type cell struct {
	text  string
	color string
	right bool
	last  bool // not padded: may be long
	// note is a line of its own under the previous row, outside the
	// columns.
	note bool
}

// table lays out cells in aligned columns, two spaces apart. Unlike
// text/tabwriter it aligns coloured text by its visible width.
type table struct {
	head  []string
	rows  [][]cell
	width []int
	pool  []cell
}

func newTable(head []string) *table {
	t := &table{head: head, width: make([]int, len(head))}
	for i, h := range head {
		t.width[i] = len(h)
	}
	return t
}

func (t *table) row() []cell {
	if len(t.pool) < len(t.head) {
		t.pool = make([]cell, len(t.head)*256)
	}
	r := t.pool[:0:len(t.head)]
	t.pool = t.pool[len(t.head):]
	return r
}

func (t *table) add(r []cell) {
	for i := range r {
		r[i].text = printable(r[i].text)
		c := r[i]
		if n := utf8.RuneCountInString(c.text); n > t.width[i] {
			t.width[i] = n
		}
	}
	t.rows = append(t.rows, r)
}

// note adds a line of text under the last row, indented past the first
// column and not counted in the column widths.
func (t *table) note(text string) {
	t.rows = append(t.rows, []cell{{text: printable(text), note: true}})
}

func (t *table) write(w *bufio.Writer) error {
	hr := make([]cell, len(t.head))
	for i, h := range t.head {
		hr[i] = cell{text: h, last: i == len(t.head)-1}
	}
	t.writeRow(w, hr)
	for _, r := range t.rows {
		t.writeRow(w, r)
	}
	return nil
}

func (t *table) writeRow(w *bufio.Writer, r []cell) {
	if len(r) == 1 && r[0].note {
		writeSpaces(w, t.width[0]+2)
		w.WriteString(r[0].text)
		w.WriteByte('\n')
		return
	}
	for i, c := range r {
		if i > 0 {
			w.WriteString("  ")
		}
		pad := t.width[i] - utf8.RuneCountInString(c.text)
		last := i == len(r)-1
		if c.right {
			writeSpaces(w, pad)
		}
		if c.color != "" {
			w.WriteString(c.color)
		}
		w.WriteString(c.text)
		if c.color != "" {
			w.WriteString(ansiReset)
		}
		if !c.right && !last && !c.last {
			writeSpaces(w, pad)
		}
	}
	w.WriteByte('\n')
}

func writeSpaces(w *bufio.Writer, n int) {
	for ; n > 0; n-- {
		w.WriteByte(' ')
	}
}

// printable escapes control characters, so that a process name or command
// line cannot move the cursor or recolour a user's terminal.
func printable(s string) string {
	clean := true
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

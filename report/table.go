package report

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/ajarsec/ajar/record"
)

func init() {
	register(FormatSpec{
		Name:        Table,
		Description: "nmap's normal output: each host as it is finished, its open ports in a table",
		Kinds:       []string{"port", "host", "socket"},
		Sockets:     socketsTable,
		New: func(w io.Writer, opts Options) Writer {
			t := &tableWriter{style: opts.Style}
			t.init(w, opts, t)
			return t
		},
	})
}

// tableWriter prints nmap's normal output: per up host, as it is
// finished, a header, the ports not shown, a table of the listed ports
// and its MAC address; then a summary line. A ping sweep's hosts get two
// lines each.
type tableWriter struct {
	byHost
	style Style
	tb    *table // reused host after host
}

// table returns the writer's table, emptied, with the columns head.
func (t *tableWriter) table(head []string) *table {
	if t.tb == nil {
		t.tb = newTable(head)
		return t.tb
	}
	tb := t.tb
	tb.head, tb.rows, tb.width = head, tb.rows[:0], tb.width[:0]
	for _, h := range head {
		tb.width = append(tb.width, len(h))
	}
	return tb
}

func (t *tableWriter) begin() {}

func (t *tableWriter) down(*record.Host) {}

func (t *tableWriter) finish(tl *tally, st *RunStats) {
	t.o.WriteString("ajar done: " + tl.scannedText() + tl.doneText(elapsed(&t.info, st)) + "\n")
}

func (t *tableWriter) up(h *hostEntry, _ time.Time) {
	w := t.o
	name := h.addr.String()
	if h.name != "" {
		name = h.name + " (" + name + ")"
	}
	name = printable(name)
	w.WriteString("ajar scan report for " + name + "\n")
	if t.info.PingOnly {
		why := printable(string(t.reasonOf(h.why)))
		if h.minRTT > 0 {
			w.WriteString("Host is up, " + why + " (" + seconds2(h.minRTT) + "s latency).\n")
		} else {
			w.WriteString("Host is up, " + why + ".\n")
		}
		t.mac(h)
		return
	}
	if h.minRTT > 0 {
		w.WriteString("Host is up (" + seconds2(h.minRTT) + "s latency).\n")
	} else {
		w.WriteString("Host is up.\n")
	}
	if h.unprobed > 0 {
		fmt.Fprintf(w, "Host timed out after %v: %d probes not sent (--host-timeout); the ports below are those probed.\n", h.timedOut, h.unprobed)
	}
	if n := h.portsSeen(); len(h.ports) == 0 && n > 0 {
		fmt.Fprintf(w, "All %d scanned ports on %s are in ignored states.\n", n, name)
	}
	if len(h.counts) > 0 {
		w.WriteString("Not shown: ")
		for i, c := range h.counts {
			if i > 0 {
				w.WriteString(", ")
			}
			s := "s"
			if c.n == 1 {
				s = ""
			}
			fmt.Fprintf(w, "%d %s %s port%s (%s)", c.n, c.state, c.proto, s, printable(string(t.reasonOf(c.reason))))
		}
		w.WriteByte('\n')
	}
	if len(h.ports) > 0 {
		t.ports(h)
		t.findings(h)
	}
	t.mac(h)
	w.WriteByte('\n')
}

func (t *tableWriter) mac(h *hostEntry) {
	if !h.mac.IsZero() {
		t.o.WriteString("MAC Address: " + h.mac.String() + "\n")
	}
}

func (t *tableWriter) ports(h *hostEntry) {
	showVersion := false
	for _, p := range h.ports {
		if p.svc != nil && versionText(p.svc) != "" {
			showVersion = true
			break
		}
	}
	head := []string{"PORT", "STATE", "SERVICE", "REASON"}
	if showVersion {
		head = append(head, "VERSION")
	}
	tb := t.table(head)
	for _, p := range h.ports {
		row := tb.row()
		st := cell{text: p.state.String()}
		if t.style.Color {
			st.color = stateColor(p.state)
		}
		row = append(row, cell{text: strconv.Itoa(int(p.port)) + "/" + p.proto.String()}, st,
			cell{text: serviceText(p.svc, "/")}, cell{text: orDash(string(t.reasonOf(p.reason)))})
		// A row without a version ends at REASON, which then goes
		// unpadded: no trailing blanks.
		if p.svc != nil && showVersion {
			if v := versionText(p.svc); v != "" {
				row = append(row, cell{text: v, last: true})
			}
		}
		tb.add(row)
		if p.svc != nil && p.svc.TLS != nil {
			tb.note("| " + tlsText(p.svc.TLS, t.info.Start))
		}
	}
	tb.write(t.o.Writer)
}

// serviceText is the SERVICE column: the name, "-" when there is none,
// after the tunnel and sep ("ssl/http"), and with a question mark when it
// is only the port table's guess ("http?").
func serviceText(s *record.Service, sep string) string {
	if s == nil || s.Name == "" {
		return "-"
	}
	name := s.Name
	if s.Tunnel != "" {
		name = s.Tunnel + sep + name
	}
	if s.Method == "port-table" {
		name += "?"
	}
	return name
}

// tlsText sums a TLS session up in one line under its port: version,
// cipher suite, and what is wrong with the certificate.
func tlsText(s *record.TLS, now time.Time) string {
	var b strings.Builder
	if s.StartTLS != "" {
		b.WriteString(s.StartTLS + ": ")
	}
	b.WriteString(s.Version + " " + s.CipherSuite)
	if s.ALPN != "" {
		b.WriteString(" alpn " + s.ALPN)
	}
	if c := s.Cert; c != nil {
		b.WriteString("; cert " + c.Subject)
		if len(c.SANs) > 0 {
			b.WriteString(" (" + strings.Join(c.SANs, ", ") + ")")
		}
		b.WriteString(", " + c.KeyType + " " + strconv.Itoa(c.KeyBits))
		switch {
		case c.Expired:
			b.WriteString(", EXPIRED " + c.NotAfter.Format("2006-01-02"))
		case now.Before(c.NotBefore):
			b.WriteString(", not valid before " + c.NotBefore.Format("2006-01-02"))
		default:
			b.WriteString(", valid until " + c.NotAfter.Format("2006-01-02"))
		}
		if c.SelfSigned {
			b.WriteString(", self-signed")
		} else {
			b.WriteString(", issuer " + c.Issuer)
		}
	}
	return b.String()
}

// versionText is nmap's VERSION column: product, version, (extra info).
func versionText(s *record.Service) string {
	var parts []string
	for _, p := range []string{s.Product, s.Version} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if s.ExtraInfo != "" {
		parts = append(parts, "("+s.ExtraInfo+")")
	}
	return strings.Join(parts, " ")
}

func stateColor(s record.State) string {
	switch s {
	case record.Open:
		return ansiBold + ansiGreen
	case record.Closed:
		return ansiRed
	case record.Filtered, record.OpenFiltered:
		return ansiYellow
	}
	return ""
}

// seconds2 writes d in seconds to two significant digits, in fixed point
// as nmap does ("0.00012", "0.012", "1.3").
func seconds2(d time.Duration) string {
	s := d.Seconds()
	if s <= 0 {
		return "0"
	}
	scale := math.Pow(10, 1-math.Floor(math.Log10(s)))
	r := math.Round(s*scale) / scale // may carry: 0.0996 -> 0.1
	dec := max(0, 1-int(math.Floor(math.Log10(r))))
	return strconv.FormatFloat(r, 'f', dec, 64)
}

func socketsTable(w *bufio.Writer, ss []record.Socket, st Style) error {
	showPeer := false
	for i := range ss {
		if ss[i].Peer.IsValid() {
			showPeer = true
			break
		}
	}
	head := []string{"PROTO", "ADDRESS", "PORT", "STATE"}
	if showPeer {
		head = append(head, "PEER")
	}
	head = append(head, "PID", "PROCESS", "USER", "EXPOSURE")
	if st.Verbose {
		head = append(head, "INTERFACES", "CMDLINE")
	}
	t := newTable(head)
	for i := range ss {
		s := &ss[i]
		row := t.row()
		row = append(row, cell{text: s.Proto.String()}, cell{text: s.Local.Addr().String()},
			cell{text: strconv.Itoa(int(s.Local.Port())), right: true},
			cell{text: strings.ToUpper(s.State.String())})
		if showPeer {
			p := "-"
			if s.Peer.IsValid() {
				p = s.Peer.String()
			}
			row = append(row, cell{text: p})
		}
		pid, process := "-", s.Process
		if s.PID > 0 {
			pid = strconv.Itoa(s.PID)
		}
		if st.Verbose && len(s.Holders) > 1 {
			// -v shows every process that holds the socket.
			pid, process = holderPIDs(s, ","), holderNames(s)
		}
		row = append(row, cell{text: pid, right: true}, cell{text: orDash(process)}, cell{text: orDash(s.User)})
		c := cell{text: exposureText(s)}
		if st.Color {
			c.color = exposureColor(s.Exposure)
		}
		row = append(row, c)
		if st.Verbose {
			row = append(row, cell{text: orDash(strings.Join(s.Interfaces, ","))}, cell{text: orDash(s.Cmdline), last: true})
		}
		t.add(row)
	}
	return t.write(w)
}

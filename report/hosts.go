package report

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/ajarsec/ajar/record"
)

// Host discovery's records (record.Host) go two ways: alone, as the
// output of a ping sweep (ajar scan --sn), through a HostWriter; and
// before the ports of a scan, through WriteHost on its ResultWriter, so
// that up hosts carry discovery's reason and down hosts are reported
// without being port-scanned.

// HostWriter writes the hosts of a ping sweep in one format: Begin once,
// WriteHost once per host in any order, End always (also after an
// interruption), which leaves a complete document.
type HostWriter interface {
	Begin(RunInfo) error
	WriteHost(*record.Host) error
	End(RunStats) error
}

// NewHostWriter makes a writer of ping-sweep results in format f to w.
// Every format streams: up hosts as they are found (the table shows them
// and counts the down ones; the other formats list down hosts too).
func NewHostWriter(f Format, w io.Writer, opts ResultOptions) (HostWriter, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	switch f {
	case Table:
		return &hostTable{w: bw}, nil
	case XML:
		return &hostXML{xmlWriter: xmlWriter{w: bw}}, nil
	case JSON:
		return &hostJSON{jsonWriter{w: bw, array: true}}, nil
	case JSONL:
		return &hostJSON{jsonWriter{w: bw}}, nil
	case CSV:
		return &hostCSV{w: bw, cw: csv.NewWriter(bw)}, nil
	}
	return nil, fmt.Errorf("unknown output format %q for hosts", f)
}

// MultiHostWriter writes to every writer, as MultiWriter does for scan
// results.
func MultiHostWriter(ws ...HostWriter) HostWriter {
	return &multiHostWriter{ws: ws, failed: make([]bool, len(ws))}
}

type multiHostWriter struct {
	ws     []HostWriter
	failed []bool
}

func (m *multiHostWriter) each(f func(HostWriter) error) error {
	var errs []error
	for i, w := range m.ws {
		if m.failed[i] {
			continue
		}
		if err := f(w); err != nil {
			m.failed[i] = true
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (m *multiHostWriter) Begin(ri RunInfo) error {
	return m.each(func(w HostWriter) error { return w.Begin(ri) })
}

func (m *multiHostWriter) WriteHost(h *record.Host) error {
	return m.each(func(w HostWriter) error { return w.WriteHost(h) })
}

func (m *multiHostWriter) End(st RunStats) error {
	var errs []error
	for _, w := range m.ws {
		errs = append(errs, w.End(st))
	}
	return errors.Join(errs...)
}

// hostCounter counts up and down hosts for the closing summary.
type hostCounter struct{ up, down int }

func (c *hostCounter) count(h *record.Host) {
	if h.State == record.Up {
		c.up++
	} else {
		c.down++
	}
}

// total is the hosts seen, or as many as the caller says were targeted.
func (c *hostCounter) total(st *RunStats) int { return max(st.HostsTotal, c.up+c.down) }

// hostTable prints nmap's ping-sweep lines for each up host, then a
// summary that counts the down ones.
type hostTable struct {
	hostCounter
	w    *bufio.Writer
	info RunInfo
}

func (t *hostTable) Begin(ri RunInfo) error { t.info = ri; return nil }

func (t *hostTable) WriteHost(h *record.Host) error {
	t.count(h)
	if h.State != record.Up {
		return nil
	}
	name := h.Addr.String()
	if h.Name != "" {
		name = h.Name + " (" + name + ")"
	}
	t.w.WriteString("ajar scan report for " + printable(name) + "\n")
	if h.RTT > 0 {
		fmt.Fprintf(t.w, "Host is up, %s (%ss latency).\n", h.Reason, seconds2(h.RTT))
	} else {
		fmt.Fprintf(t.w, "Host is up, %s.\n", h.Reason)
	}
	if !h.MAC.IsZero() {
		t.w.WriteString("MAC Address: " + h.MAC.String() + "\n")
	}
	return t.w.Flush()
}

func (t *hostTable) End(st RunStats) error {
	what := "done:"
	if st.Interrupted {
		what = "interrupted: results so far:"
	}
	fmt.Fprintf(t.w, "ajar %s %s scanned in %s seconds\n", what, hostsSummary(t.total(&st), t.up), elapsed(&t.info, &st))
	return t.w.Flush()
}

// appendHostJSON writes a host as a JSON object with the stable fields
// host, hostname, status, reason, rtt_ms and mac.
func appendHostJSON(b jsonBuf, h *record.Host) jsonBuf {
	b = append(b, '{')
	b = b.key("host").addr(h.Addr)
	b = b.key("hostname").strOrNull(h.Name)
	b = b.key("status").str(h.State.String())
	b = b.key("reason").strOrNull(string(h.Reason))
	b = b.key("rtt_ms")
	if h.RTT > 0 {
		b = strconv.AppendFloat(b, rttMillis(h.RTT), 'f', -1, 64)
	} else {
		b = append(b, "null"...)
	}
	b = b.key("mac").strOrNull(h.MAC.String())
	return append(b, '}')
}

// hostJSON writes hosts as JSON Lines, or as one array.
type hostJSON struct{ jsonWriter }

func (j *hostJSON) WriteHost(h *record.Host) error {
	return j.writeItem(func(b jsonBuf) jsonBuf { return appendHostJSON(b, h) })
}

var hostCSVHeader = []string{"host", "hostname", "status", "reason", "rtt_ms", "mac"}

// hostCSV writes a header, then a row per host.
type hostCSV struct {
	w     *bufio.Writer
	cw    *csv.Writer
	begun bool
}

func (c *hostCSV) Begin(RunInfo) error {
	if c.begun {
		return nil
	}
	c.begun = true
	return c.cw.Write(hostCSVHeader)
}

func (c *hostCSV) WriteHost(h *record.Host) error {
	if err := c.Begin(RunInfo{}); err != nil {
		return err
	}
	rtt := ""
	if h.RTT > 0 {
		rtt = strconv.FormatFloat(rttMillis(h.RTT), 'f', -1, 64)
	}
	return c.cw.Write([]string{h.Addr.String(), h.Name, h.State.String(), string(h.Reason), rtt, h.MAC.String()})
}

func (c *hostCSV) End(RunStats) error {
	if err := c.Begin(RunInfo{}); err != nil {
		return err
	}
	c.cw.Flush()
	if err := c.cw.Error(); err != nil {
		return err
	}
	return c.w.Flush()
}

// hostXML writes nmap's XML for a ping sweep (nmap -sn): no scaninfo,
// one host element per host, up or down, and the run's statistics.
type hostXML struct {
	xmlWriter
	hostCounter
}

func (x *hostXML) Begin(ri RunInfo) error {
	if x.begun {
		return nil
	}
	x.openRun(ri)
	w := x.w
	w.WriteString(">\n<verbose level=\"0\"/>\n<debugging level=\"0\"/>\n")
	return w.Flush()
}

func (x *hostXML) WriteHost(h *record.Host) error {
	if err := x.Begin(RunInfo{}); err != nil {
		return err
	}
	x.count(h)
	x.hostStatus(h)
	return x.w.Flush()
}

// hostStatus writes a host element for a discovery record: status,
// addresses, hostnames, and the round-trip time of an up host.
func (x *xmlWriter) hostStatus(h *record.Host) {
	w := x.w
	w.WriteString("<host><status")
	x.attr("state", h.State.String())
	x.attr("reason", xmlReason(h.Reason))
	w.WriteString(" reason_ttl=\"0\"/>\n<address")
	x.attr("addr", h.Addr.String())
	if h.Addr.Is4() {
		x.attr("addrtype", "ipv4")
	} else {
		x.attr("addrtype", "ipv6")
	}
	w.WriteString("/>\n")
	if !h.MAC.IsZero() {
		w.WriteString("<address")
		x.attr("addr", h.MAC.String())
		w.WriteString(" addrtype=\"mac\"/>\n")
	}
	w.WriteString("<hostnames>\n")
	if h.Name != "" {
		w.WriteString("<hostname")
		x.attr("name", h.Name)
		w.WriteString(" type=\"user\"/>\n")
	}
	w.WriteString("</hostnames>\n")
	if h.RTT > 0 {
		// One sample: nmap's srtt, rttvar and timeout from it (RFC 6298).
		w.WriteString("<times")
		x.attrInt("srtt", h.RTT.Microseconds())
		x.attrInt("rttvar", (h.RTT / 2).Microseconds())
		x.attrInt("to", (3 * h.RTT).Microseconds())
		w.WriteString("/>\n")
	}
	w.WriteString("</host>\n")
}

func (x *hostXML) End(st RunStats) error {
	if err := x.Begin(RunInfo{}); err != nil {
		return err
	}
	w := x.w
	total := x.total(&st)
	done, exit := "done", "success"
	if st.Interrupted {
		done, exit = "interrupted", "error"
	}
	summary := "ajar " + done + " at " + st.End.Format(time.ANSIC) + "; " +
		hostsSummary(total, x.up) + " scanned in " + elapsed(&x.info, &st) + " seconds"
	w.WriteString("<runstats><finished")
	x.attrInt("time", unixOrZero(st.End))
	x.attr("timestr", st.End.Format(time.ANSIC))
	x.attr("summary", summary)
	x.attr("elapsed", elapsed(&x.info, &st))
	x.attr("exit", exit)
	if st.Interrupted {
		x.attr("errormsg", "interrupted")
	}
	w.WriteString("/><hosts")
	x.attrInt("up", int64(x.up))
	x.attrInt("down", int64(total-x.up))
	x.attrInt("total", int64(total))
	w.WriteString("/>\n</runstats>\n</nmaprun>\n")
	return w.Flush()
}

// WriteHost hands a discovery record to a writer of scan results, before
// the host's ports: an up host is reported up with discovery's reason,
// even if none of its ports answers; a down host is listed as down (in
// XML and JSON) and counted. Writers without a use for it (CSV, whose
// rows are ports) ignore it.
func WriteHost(w ResultWriter, h *record.Host) error {
	if hw, ok := w.(interface{ writeHost(*record.Host) error }); ok {
		return hw.writeHost(h)
	}
	return nil
}

// addHost records a host discovery found up, with discovery's reason as
// the reason it is up.
func (b *book) addHost(h *record.Host) {
	e := b.hosts[h.Addr]
	if e == nil {
		e = &hostEntry{lost: b.dropped > 0}
		b.hosts[h.Addr] = e
	} else if !e.up {
		b.pending--
	}
	if !e.up {
		e.up = true
		e.why = b.reason(record.Reason(h.Reason))
		b.up++
	}
	if e.name == "" {
		e.name = h.Name
	}
	if h.RTT > 0 {
		e.sample(h.RTT)
	}
}

func (u *bookUser) addHost(h *record.Host) {
	if !u.shared && h.State == record.Up {
		u.book.addHost(h)
	}
}

func (m *multiWriter) writeHost(h *record.Host) error {
	if h.State == record.Up {
		for _, b := range m.books {
			b.addHost(h)
		}
	}
	return m.each(func(w ResultWriter) error { return WriteHost(w, h) })
}

func (t *tableWriter) writeHost(h *record.Host) error {
	t.addHost(h)
	return nil
}

func (x *xmlWriter) writeHost(h *record.Host) error {
	if h.State == record.Up {
		x.addHost(h)
		return nil
	}
	if err := x.Begin(RunInfo{}); err != nil {
		return err
	}
	x.hostStatus(h)
	return nil
}

// writeHost writes a down host as a host record of its own; an up host's
// ports follow as usual.
func (j *jsonWriter) writeHost(h *record.Host) error {
	if h.State == record.Up {
		return nil
	}
	return j.writeItem(func(b jsonBuf) jsonBuf { return appendHostJSON(b, h) })
}

// Synchronized makes w safe for use from several goroutines: each call
// (Write, WriteHost through it, Begin, End) runs alone. A scan in host
// groups writes a group's host records as its discovery ends, while the
// ports of the group before are written.
func Synchronized(w ResultWriter) ResultWriter { return &syncWriter{w: w} }

type syncWriter struct {
	mu sync.Mutex
	w  ResultWriter
}

func (s *syncWriter) Begin(ri RunInfo) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Begin(ri)
}

func (s *syncWriter) Write(r *record.PortResult) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(r)
}

func (s *syncWriter) End(st RunStats) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.End(st)
}

func (s *syncWriter) writeHost(h *record.Host) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return WriteHost(s.w, h)
}

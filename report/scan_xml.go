package report

import (
	"bufio"
	"cmp"
	"encoding/xml"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ajarsec/ajar/record"
)

// The XML follows nmap's DTD (/usr/share/nmap/nmap.dtd, output version
// 1.05), element for element, so that ndiff, nmap's XSL stylesheet and the
// tools that import nmap XML read it. One difference: scanner is "ajar",
// where the DTD allows only "nmap" (masscan does the same).
const (
	xmlHeader = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nmaprun>
<?xml-stylesheet href="file:///usr/share/nmap/nmap.xsl" type="text/xsl"?>
`
	xmlOutputVersion = "1.05"
)

// xmlWriter writes nmap's XML: the run's header at Begin, every host that
// answered and the run's statistics at End.
type xmlWriter struct {
	bookUser
	w     *bufio.Writer
	info  RunInfo
	begun bool
	num   []byte
}

// openRun starts the document: the XML header and the nmaprun element's
// attributes, left open for the caller to close.
func (x *xmlWriter) openRun(ri RunInfo) {
	x.begun = true
	x.info = ri
	w := x.w
	w.WriteString(xmlHeader)
	w.WriteString("<nmaprun")
	x.attr("scanner", "ajar")
	x.attr("args", shellJoin(ri.Args))
	if !ri.Start.IsZero() {
		x.attrInt("start", ri.Start.Unix())
		x.attr("startstr", ri.Start.Format(time.ANSIC))
	}
	x.attr("version", cmp.Or(ri.Version, "dev"))
	x.attr("xmloutputversion", xmlOutputVersion)
}

func (x *xmlWriter) Begin(ri RunInfo) error {
	if x.begun {
		return nil
	}
	x.openRun(ri)
	w := x.w
	w.WriteString(">\n")
	for _, si := range ri.scans() {
		w.WriteString("<scaninfo")
		x.attr("type", si.Type)
		x.attr("protocol", si.Proto.String())
		x.attrInt("numservices", int64(si.NumPorts))
		x.attr("services", si.Ports)
		w.WriteString("/>\n")
	}
	w.WriteString("<verbose level=\"0\"/>\n<debugging level=\"0\"/>\n")
	return w.Flush()
}

func (x *xmlWriter) Write(r *record.PortResult) error {
	x.add(r)
	return nil
}

func (x *xmlWriter) End(st RunStats) error {
	if err := x.Begin(RunInfo{}); err != nil {
		return err
	}
	hs := x.book.finish(&x.info, &st)
	for _, h := range hs {
		x.host(h, &st)
	}
	w := x.w
	total := x.book.total(&st)
	w.WriteString("<runstats><finished")
	x.attrInt("time", unixOrZero(st.End))
	x.attr("timestr", st.End.Format(time.ANSIC))
	done, exit := "done", "success"
	if st.Interrupted {
		done, exit = "interrupted", "error"
	}
	summary := "ajar " + done + " at " + st.End.Format(time.ANSIC) + "; "
	if st.Interrupted {
		summary += "results so far: "
	}
	summary += hostsSummary(total, len(hs)) + " scanned in " + elapsed(&x.info, &st) + " seconds"
	x.attr("summary", summary)
	x.attr("elapsed", elapsed(&x.info, &st))
	x.attr("exit", exit)
	if st.Interrupted {
		x.attr("errormsg", "interrupted")
	}
	w.WriteString("/><hosts")
	x.attrInt("up", int64(len(hs)))
	x.attrInt("down", int64(total-len(hs)))
	x.attrInt("total", int64(total))
	w.WriteString("/>\n</runstats>\n</nmaprun>\n")
	return w.Flush()
}

func (x *xmlWriter) host(h upHost, st *RunStats) {
	w := x.w
	w.WriteString("<host")
	if !x.info.Start.IsZero() && !st.End.IsZero() {
		// Results arrive interleaved across hosts: each host is scanned
		// over the whole run.
		x.attrInt("starttime", x.info.Start.Unix())
		x.attrInt("endtime", st.End.Unix())
	}
	w.WriteString("><status state=\"up\"")
	x.attr("reason", xmlReason(x.book.reasons[h.why]))
	w.WriteString(" reason_ttl=\"0\"/>\n<address")
	x.attr("addr", h.addr.String())
	if h.addr.Is4() {
		x.attr("addrtype", "ipv4")
	} else {
		x.attr("addrtype", "ipv6")
	}
	w.WriteString("/>\n<hostnames>\n")
	if h.name != "" {
		w.WriteString("<hostname")
		x.attr("name", h.name)
		w.WriteString(" type=\"user\"/>\n")
	}
	w.WriteString("</hostnames>\n<ports>")
	x.extraports(h)
	for i := range h.ports {
		x.port(&h.ports[i])
	}
	w.WriteString("</ports>\n")
	if h.srtt > 0 {
		w.WriteString("<times")
		x.attrInt("srtt", h.srtt.Microseconds())
		x.attrInt("rttvar", h.rttvar.Microseconds())
		x.attrInt("to", h.timeout().Microseconds())
		w.WriteString("/>\n")
	}
	w.WriteString("</host>\n")
}

// extraports writes one extraports element per state not listed, the
// commonest first, with an extrareasons element per (reason, protocol).
func (x *xmlWriter) extraports(h upHost) {
	var states []record.State
	for _, c := range h.counts {
		if !containsState(states, c.state) {
			states = append(states, c.state)
		}
	}
	for _, s := range states {
		var n uint64
		for _, c := range h.counts {
			if c.state == s {
				n += uint64(c.n)
			}
		}
		x.w.WriteString("<extraports")
		x.attr("state", s.String())
		x.attrInt("count", int64(n))
		x.w.WriteString(">\n")
		for _, c := range h.counts {
			if c.state != s {
				continue
			}
			x.w.WriteString("<extrareasons")
			x.attr("reason", xmlReason(x.book.reasons[c.reason]))
			x.attrInt("count", int64(c.n))
			x.attr("proto", c.proto.String())
			x.w.WriteString("/>\n")
		}
		x.w.WriteString("</extraports>\n")
	}
}

func containsState(ss []record.State, s record.State) bool {
	for _, t := range ss {
		if t == s {
			return true
		}
	}
	return false
}

func (x *xmlWriter) port(p *portRec) {
	w := x.w
	w.WriteString("<port")
	x.attr("protocol", p.proto.String())
	x.attrInt("portid", int64(p.port))
	w.WriteString("><state")
	x.attr("state", p.state.String())
	x.attr("reason", xmlReason(x.book.reasons[p.reason]))
	w.WriteString(" reason_ttl=\"0\"/>")
	if s := p.svc; s != nil {
		w.WriteString("<service")
		x.attr("name", cmp.Or(s.Name, "unknown"))
		for _, a := range [...]struct{ k, v string }{{"product", s.Product}, {"version", s.Version}, {"extrainfo", s.ExtraInfo}} {
			if a.v != "" {
				x.attr(a.k, a.v)
			}
		}
		if s.Tunnel != "" {
			x.attr("tunnel", s.Tunnel)
		}
		method := "probed"
		if s.Method == "port-table" {
			method = "table"
		}
		x.attr("method", method)
		x.attrInt("conf", int64(min(max(s.Confidence, 0), 10)))
		if len(s.CPE) == 0 {
			w.WriteString("/>")
		} else {
			w.WriteString(">")
			for _, c := range s.CPE {
				w.WriteString("<cpe>")
				xmlEscape(w, c)
				w.WriteString("</cpe>")
			}
			w.WriteString("</service>")
		}
	}
	w.WriteString("</port>\n")
}

// xmlReason is a reason in nmap's words: nmap's connect scan, too, calls
// an accepted connection syn-ack.
func xmlReason(r record.Reason) string {
	switch r {
	case record.ReasonConnected:
		return string(record.ReasonSynAck)
	case "":
		return "unknown"
	}
	return string(r)
}

func (x *xmlWriter) attr(name, val string) {
	x.w.WriteByte(' ')
	x.w.WriteString(name)
	x.w.WriteString(`="`)
	xmlEscape(x.w, val)
	x.w.WriteByte('"')
}

func (x *xmlWriter) attrInt(name string, n int64) {
	x.num = strconv.AppendInt(x.num[:0], n, 10)
	x.w.WriteByte(' ')
	x.w.WriteString(name)
	x.w.WriteString(`="`)
	x.w.Write(x.num)
	x.w.WriteByte('"')
}

// xmlEscape writes s as XML character data fit for an attribute value:
// markup characters and white space other than a space are escaped, and
// characters XML cannot hold become U+FFFD.
func xmlEscape(w *bufio.Writer, s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\'' || c == '&' || c == '<' || c == '>' {
			// encoding/xml writes only to its own writer's first error,
			// which bufio keeps and reports at Flush.
			_ = xml.EscapeText(w, []byte(s))
			return
		}
	}
	w.WriteString(s)
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// shellJoin joins a command line, quoting the arguments a shell would
// split or expand, so that args can be pasted back into a shell.
func shellJoin(args []string) string {
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.,:/=+@%") == "" {
			b.WriteString(a)
			continue
		}
		b.WriteByte('\'')
		b.WriteString(strings.ReplaceAll(a, "'", `'\''`))
		b.WriteByte('\'')
	}
	return b.String()
}

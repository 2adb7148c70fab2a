package report

import (
	"bufio"
	"cmp"
	"encoding/xml"
	"io"
	"net/netip"
	"slices"
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

func init() {
	register(FormatSpec{
		Name:        XML,
		Description: "nmap's XML, for ndiff, nmap's stylesheet and the tools that import nmap scans",
		Kinds:       []string{"port", "host"},
		New: func(w io.Writer, opts Options) Writer {
			x := &xmlWriter{}
			x.init(w, opts, x)
			return x
		},
	})
}

// xmlWriter writes nmap's XML: the run's header at Begin, each host as it
// is finished (a down host too), and the run's statistics at End.
type xmlWriter struct {
	byHost
	num []byte
}

func (x *xmlWriter) begin() {
	ri := &x.info
	w := x.o
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
}

// finish writes the run's statistics: up and down count the hosts known,
// and the summary says how many of the targets were scanned.
func (x *xmlWriter) finish(t *tally, st *RunStats) {
	w := x.o
	w.WriteString("<runstats><finished")
	x.attrInt("time", unixOrZero(st.End))
	x.attr("timestr", st.End.Format(time.ANSIC))
	exit := "success"
	if st.Interrupted {
		exit = "error"
	}
	x.attr("summary", "ajar done at "+st.End.Format(time.ANSIC)+"; "+t.scannedText()+t.doneText(elapsed(&x.info, st)))
	x.attr("elapsed", elapsed(&x.info, st))
	x.attr("exit", exit)
	if st.Interrupted {
		x.attr("errormsg", "interrupted")
	}
	w.WriteString("/><hosts")
	x.attrInt("up", int64(t.up))
	x.attrInt("down", int64(t.down))
	x.attrInt("total", int64(t.up+t.down))
	w.WriteString("/>\n</runstats>\n</nmaprun>\n")
}

// up writes an up host's element; a port scan's host is scanned from the
// run's start to end.
func (x *xmlWriter) up(h *hostEntry, end time.Time) {
	w := x.o
	w.WriteString("<host")
	if !x.info.PingOnly && !x.info.Start.IsZero() && !end.IsZero() {
		x.attrInt("starttime", x.info.Start.Unix())
		x.attrInt("endtime", max(end.Unix(), x.info.Start.Unix()))
	}
	if h.unprobed > 0 {
		w.WriteString(` timedout="true"`)
	}
	w.WriteString("><status state=\"up\"")
	x.attr("reason", xmlReason(x.reasonOf(h.why)))
	w.WriteString(" reason_ttl=\"0\"/>\n")
	x.addresses(h.addr, h.mac, h.name)
	if !x.info.PingOnly {
		w.WriteString("<ports>")
		x.extraports(h)
		for i := range h.ports {
			x.port(&h.ports[i])
		}
		w.WriteString("</ports>\n")
	}
	if h.srtt > 0 {
		w.WriteString("<times")
		x.attrInt("srtt", h.srtt.Microseconds())
		x.attrInt("rttvar", h.rttvar.Microseconds())
		x.attrInt("to", h.timeout().Microseconds())
		w.WriteString("/>\n")
	}
	w.WriteString("</host>\n")
}

// down writes a down host's element.
func (x *xmlWriter) down(h *record.Host) {
	x.o.WriteString("<host><status")
	x.attr("state", h.State.String())
	x.attr("reason", xmlReason(h.Reason))
	x.o.WriteString(" reason_ttl=\"0\"/>\n")
	x.addresses(h.Addr, h.MAC, h.Name)
	x.o.WriteString("</host>\n")
}

// addresses writes a host's address elements and hostnames.
func (x *xmlWriter) addresses(a netip.Addr, mac record.MAC, name string) {
	w := x.o
	w.WriteString("<address")
	x.attr("addr", a.String())
	if a.Is4() {
		x.attr("addrtype", "ipv4")
	} else {
		x.attr("addrtype", "ipv6")
	}
	w.WriteString("/>\n")
	if !mac.IsZero() {
		w.WriteString("<address")
		x.attr("addr", mac.String())
		w.WriteString(" addrtype=\"mac\"/>\n")
	}
	w.WriteString("<hostnames>\n")
	if name != "" {
		w.WriteString("<hostname")
		x.attr("name", name)
		w.WriteString(" type=\"user\"/>\n")
	}
	w.WriteString("</hostnames>\n")
}

// extraports writes one extraports element per state not listed, the
// commonest first, with an extrareasons element per (reason, protocol).
func (x *xmlWriter) extraports(h *hostEntry) {
	var states []record.State
	for _, c := range h.counts {
		if !slices.Contains(states, c.state) {
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
		x.o.WriteString("<extraports")
		x.attr("state", s.String())
		x.attrInt("count", int64(n))
		x.o.WriteString(">\n")
		for _, c := range h.counts {
			if c.state != s {
				continue
			}
			x.o.WriteString("<extrareasons")
			x.attr("reason", xmlReason(x.reasonOf(c.reason)))
			x.attrInt("count", int64(c.n))
			x.attr("proto", c.proto.String())
			x.o.WriteString("/>\n")
		}
		x.o.WriteString("</extraports>\n")
	}
}

func (x *xmlWriter) port(p *portRec) {
	w := x.o
	w.WriteString("<port")
	x.attr("protocol", p.proto.String())
	x.attrInt("portid", int64(p.port))
	w.WriteString("><state")
	x.attr("state", p.state.String())
	x.attr("reason", xmlReason(x.reasonOf(p.reason)))
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
				xmlEscape(w.Writer, c)
				w.WriteString("</cpe>")
			}
			w.WriteString("</service>")
		}
	}
	x.audit(p.findings)
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
	x.o.WriteByte(' ')
	x.o.WriteString(name)
	x.o.WriteString(`="`)
	xmlEscape(x.o.Writer, val)
	x.o.WriteByte('"')
}

func (x *xmlWriter) attrInt(name string, n int64) {
	x.num = strconv.AppendInt(x.num[:0], n, 10)
	x.o.WriteByte(' ')
	x.o.WriteString(name)
	x.o.WriteString(`="`)
	x.o.Write(x.num)
	x.o.WriteByte('"')
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

package report

import (
	"cmp"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/ajarsec/ajar/record"
)

func init() {
	register(FormatSpec{
		Name:        Grep,
		Description: "nmap's grepable output (-oG): a line a host, for grep, awk and cut",
		Kinds:       []string{"port", "host"},
		New: func(w io.Writer, opts Options) Writer {
			g := &grepWriter{}
			g.init(w, opts, g)
			return g
		},
	})
}

// grepWriter writes nmap's grepable output, as nmap's documentation
// describes it: a comment line with the command, then for each up host a
// line "Host: ADDR (NAME)<TAB>Status: Up" and, in a port scan, a line
// with its listed ports and its commonest ignored state
//
//	Host: ADDR (NAME)<TAB>Ports: 22/open/tcp//ssh//OpenSSH 9.2p1/, 80/open/tcp//http?///<TAB>Ignored State: closed (997)
//
// and a closing comment line. A port is seven fields, each ended by a
// slash: port, state, protocol, owner, service, RPC information and
// version (product, version and extra information); slashes inside a
// field become "|" (a service in TLS is "ssl|http"), and ports are
// separated by ", ". Down hosts are not written, as nmap writes them only
// when verbose.
type grepWriter struct {
	byHost
	b []byte
}

func (g *grepWriter) begin() {
	ri := &g.info
	g.o.WriteString("# ajar " + printable(cmp.Or(ri.Version, "dev")) + " scan initiated ")
	if !ri.Start.IsZero() {
		g.o.WriteString(ri.Start.Format(time.ANSIC) + " ")
	}
	g.o.WriteString("as: " + printable(shellJoin(ri.Args)) + "\n")
}

func (g *grepWriter) down(*record.Host) {}

func (g *grepWriter) finish(t *tally, st *RunStats) {
	g.o.WriteString("# ajar done at " + st.End.Format(time.ANSIC) + " -- " + t.scannedText() +
		t.doneText(elapsed(&g.info, st)) + "\n")
}

func (g *grepWriter) up(h *hostEntry, _ time.Time) {
	b := g.b[:0]
	b = append(b, "Host: "...)
	b = h.addr.AppendTo(b)
	b = append(b, " ("...)
	b = append(b, grepField(h.name)...)
	b = append(b, ')')
	head := len(b)
	b = append(b, "\tStatus: Up\n"...)
	if !g.info.PingOnly && (len(h.ports) > 0 || len(h.counts) > 0) {
		b = append(b, b[:head]...)
		if len(h.ports) > 0 {
			b = append(b, "\tPorts: "...)
			for i := range h.ports {
				if i > 0 {
					b = append(b, ", "...)
				}
				b = g.port(b, &h.ports[i])
			}
		}
		if state, n := ignored(h); n > 0 {
			b = append(b, "\tIgnored State: "...)
			b = append(b, state.String()...)
			b = append(b, " ("...)
			b = strconv.AppendUint(b, n, 10)
			b = append(b, ')')
		}
		b = append(b, '\n')
	}
	g.b = b
	g.o.Write(b)
}

// port appends one port's seven fields.
func (g *grepWriter) port(b []byte, p *portRec) []byte {
	b = strconv.AppendUint(b, uint64(p.port), 10)
	b = append(b, '/')
	b = append(b, p.state.String()...)
	b = append(b, '/')
	b = append(b, p.proto.String()...)
	b = append(b, "//"...) // no owner (ident)
	if p.svc != nil && p.svc.Name != "" {
		b = append(b, grepField(serviceText(p.svc, "|"))...)
	}
	b = append(b, "//"...) // no RPC information
	if p.svc != nil {
		b = append(b, grepField(versionText(p.svc))...)
	}
	return append(b, '/')
}

// ignored is the state most of a host's unlisted ports are in, and how
// many are, every protocol and reason together.
func ignored(h *hostEntry) (record.State, uint64) {
	var best record.State
	var most uint64
	for _, c := range h.counts {
		var n uint64
		for _, d := range h.counts {
			if d.state == c.state {
				n += uint64(d.n)
			}
		}
		if n > most {
			best, most = c.state, n
		}
	}
	return best, most
}

// grepField makes s fit in a field: no control characters (escaped as
// the table escapes them), and "|" for "/", the fields' delimiter.
func grepField(s string) string {
	return strings.ReplaceAll(printable(s), "/", "|")
}

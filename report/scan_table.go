package report

import (
	"bufio"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/ajarsec/ajar/record"
)

// tableWriter prints nmap's normal output at End: per host that answered,
// sorted by address, a header, the ports not shown, and a table of the
// listed ports; then a summary line.
type tableWriter struct {
	bookUser
	w     *bufio.Writer
	style Style
	info  RunInfo
}

func (t *tableWriter) Begin(ri RunInfo) error {
	t.info = ri
	return nil
}

func (t *tableWriter) Write(r *record.PortResult) error {
	t.add(r)
	return nil
}

func (t *tableWriter) End(st RunStats) error {
	hs := t.book.finish(&t.info, &st)
	for _, h := range hs {
		t.host(h)
	}
	if st.Interrupted {
		fmt.Fprintf(t.w, "ajar interrupted: results so far: %s scanned in %s seconds\n",
			hostsSummary(t.book.total(&st), len(hs)), elapsed(&t.info, &st))
	} else {
		fmt.Fprintf(t.w, "ajar done: %s scanned in %s seconds\n",
			hostsSummary(t.book.total(&st), len(hs)), elapsed(&t.info, &st))
	}
	return t.w.Flush()
}

func (t *tableWriter) host(h upHost) {
	w := t.w
	name := h.addr.String()
	if h.name != "" {
		name = h.name + " (" + name + ")"
	}
	name = printable(name)
	w.WriteString("ajar scan report for " + name + "\n")
	if h.minRTT > 0 {
		w.WriteString("Host is up (" + seconds2(h.minRTT) + "s latency).\n")
	} else {
		w.WriteString("Host is up.\n")
	}
	if len(h.ports) == 0 {
		var n uint64
		for _, c := range h.counts {
			n += uint64(c.n)
		}
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
			fmt.Fprintf(w, "%d %s %s port%s (%s)", c.n, c.state, c.proto, s, t.book.reasons[c.reason])
		}
		w.WriteByte('\n')
	}
	if len(h.ports) > 0 {
		t.ports(h)
	}
	w.WriteByte('\n')
}

func (t *tableWriter) ports(h upHost) {
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
	tb := newTable(head)
	for _, p := range h.ports {
		row := tb.row()
		st := cell{text: p.state.String()}
		if t.style.Color {
			st.color = stateColor(p.state)
		}
		svc := "-"
		if p.svc != nil && p.svc.Name != "" {
			svc = p.svc.Name
			if p.svc.Tunnel != "" {
				svc = p.svc.Tunnel + "/" + svc
			}
		}
		row = append(row, cell{text: strconv.Itoa(int(p.port)) + "/" + p.proto.String()}, st,
			cell{text: svc}, cell{text: orDash(string(t.book.reasons[p.reason]))})
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
	tb.write(t.w)
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

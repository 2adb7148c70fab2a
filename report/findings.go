package report

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/ajarsec/ajar/record"
)

// findings writes the audit's findings as a JSON array of objects with
// the field names of record.Finding.
func (b jsonBuf) findings(fs []record.Finding) jsonBuf {
	b = append(b, '[')
	for i := range fs {
		f := &fs[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		b = b.key("id").str(f.ID)
		b = b.key("category").str(string(f.Category))
		b = b.key("severity").str(f.Severity.String())
		b = b.key("title").str(f.Title)
		b = b.optStr("evidence", f.Evidence).optStr("remediation", f.Remediation)
		if len(f.References) > 0 {
			b = b.key("references").strs(f.References)
		}
		b = b.key("confidence").str(string(f.Confidence))
		if f.Exposure != record.ExposureUnknown {
			b = b.key("exposure").str(f.Exposure.String())
		}
		b = b.optStr("severity_reason", f.SeverityReason)
		b = b.vulnFields(f)
		b = append(b, '}')
	}
	return append(b, ']')
}

// portFinding is a finding with its port, for a host's list.
type portFinding struct {
	port  uint16
	proto record.Proto
	f     *record.Finding
}

// hostFindings lists a host's findings worst first, then by port.
func hostFindings(h *hostEntry) []portFinding {
	var out []portFinding
	for i := range h.ports {
		p := &h.ports[i]
		for j := range p.findings {
			out = append(out, portFinding{p.port, p.proto, &p.findings[j]})
		}
	}
	slices.SortStableFunc(out, func(a, b portFinding) int {
		return cmp.Or(cmp.Compare(b.f.Severity, a.f.Severity), cmp.Compare(a.proto, b.proto),
			cmp.Compare(a.port, b.port), strings.Compare(a.f.ID, b.f.ID))
	})
	return out
}

// findings prints a host's findings under its ports, worst first, one
// line each, and the fix on a second line.
func (t *tableWriter) findings(h *hostEntry) {
	fs := hostFindings(h)
	if len(fs) == 0 {
		return
	}
	w := t.o
	if t.style.Verbose {
		w.WriteString("Audit findings (worst first):\n")
	} else {
		w.WriteString("Audit findings (worst first; -v adds the fixes):\n")
	}
	for _, pf := range fs {
		f := pf.f
		sev := strings.ToUpper(f.Severity.String())
		pad := strings.Repeat(" ", len("CRITICAL")-len(sev))
		if t.style.Color {
			sev = severityColor(f.Severity) + sev + ansiReset
		}
		port := strconv.Itoa(int(pf.port)) + "/" + pf.proto.String()
		w.WriteString(sev + pad + "  " + port + strings.Repeat(" ", max(1, 10-len(port))) +
			printable(f.ID) + "  " + printable(f.Title) + "\n")
		if f.Remediation != "" && t.style.Verbose {
			w.WriteString(strings.Repeat(" ", len("CRITICAL")+2) + "fix: " + printable(f.Remediation) + "\n")
		}
	}
}

func severityColor(s record.Severity) string {
	switch s {
	case record.Critical, record.High:
		return ansiBold + ansiRed
	case record.Medium:
		return ansiYellow
	}
	return ""
}

// audit writes a port's findings as nmap script results: one
// <script id="ajar-audit"> a finding, its fields as <elem>s, its
// references as a <table>, so that tools reading nmap's XML show them.
func (x *xmlWriter) audit(fs []record.Finding) {
	w := x.o
	for i := range fs {
		f := &fs[i]
		w.WriteString("<script")
		x.attr("id", "ajar-audit")
		x.attr("output", f.Severity.String()+" "+f.ID+": "+f.Title)
		w.WriteString(">")
		for _, e := range append([]struct{ k, v string }{
			{"id", f.ID}, {"category", string(f.Category)}, {"severity", f.Severity.String()},
			{"title", f.Title}, {"evidence", f.Evidence}, {"remediation", f.Remediation},
			{"confidence", string(f.Confidence)}, {"exposure", exposureName(f.Exposure)},
			{"severity_reason", f.SeverityReason},
		}, vulnElems(f)...) {
			if e.v == "" {
				continue
			}
			w.WriteString("<elem")
			x.attr("key", e.k)
			w.WriteString(">")
			xmlEscape(w.Writer, e.v)
			w.WriteString("</elem>")
		}
		if len(f.References) > 0 {
			w.WriteString(`<table key="references">`)
			for _, r := range f.References {
				w.WriteString("<elem>")
				xmlEscape(w.Writer, r)
				w.WriteString("</elem>")
			}
			w.WriteString("</table>")
		}
		w.WriteString("</script>")
	}
}

// exposureName is an exposure's name, "" when it was not weighed.
func exposureName(e record.Exposure) string {
	if e == record.ExposureUnknown {
		return ""
	}
	return e.String()
}

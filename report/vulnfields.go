package report

import (
	"strconv"

	"github.com/ajarsec/ajar/record"
)

// vulnFields writes a known vulnerability's fields of a finding (cvss,
// kev, epss, fixed_in, snapshot), those it has.
func (b jsonBuf) vulnFields(f *record.Finding) jsonBuf {
	if c := f.CVSS; c != nil {
		b = b.key("cvss")
		b = append(b, '{')
		b = b.key("score").float(c.Score)
		b = b.key("vector").str(c.Vector)
		b = b.key("version").str(c.Version)
		b = append(b, '}')
	}
	if k := f.KEV; k != nil {
		b = b.key("kev")
		b = append(b, '{')
		b = b.key("listed").bool(k.Listed)
		b = b.key("ransomware").bool(k.Ransomware)
		b = append(b, '}')
	}
	if e := f.EPSS; e != nil {
		b = b.key("epss")
		b = append(b, '{')
		b = b.key("score").float(e.Score)
		b = b.key("percentile").float(e.Percentile)
		b = append(b, '}')
	}
	return b.optStr("fixed_in", f.FixedIn).optStr("snapshot", f.Snapshot)
}

func (b jsonBuf) float(v float64) jsonBuf { return strconv.AppendFloat(b, v, 'f', -1, 64) }

// vulnElems are a known vulnerability's fields for nmap XML's <elem>s.
func vulnElems(f *record.Finding) []struct{ k, v string } {
	var out []struct{ k, v string }
	add := func(k, v string) {
		if v != "" {
			out = append(out, struct{ k, v string }{k, v})
		}
	}
	if c := f.CVSS; c != nil {
		add("cvss", strconv.FormatFloat(c.Score, 'f', -1, 64)+" "+c.Vector)
	}
	if k := f.KEV; k != nil && k.Listed {
		add("kev", map[bool]string{true: "listed, used by ransomware", false: "listed"}[k.Ransomware])
	}
	if e := f.EPSS; e != nil {
		add("epss", strconv.FormatFloat(e.Score, 'f', -1, 64)+" (percentile "+strconv.FormatFloat(e.Percentile, 'f', -1, 64)+")")
	}
	add("fixed_in", f.FixedIn)
	add("snapshot", f.Snapshot)
	return out
}

package vulndb

import (
	"errors"
	"fmt"
	"strings"
)

// CPE is a CPE 2.3 name, each attribute as written in the formatted
// string binding (lower case, quoted characters kept with their
// backslash): "*" is ANY, "-" is NA.
type CPE struct {
	Part, Vendor, Product, Version, Update, Edition, Language string
	SWEdition, TargetSW, TargetHW, Other                      string
}

// The logical values of an attribute.
const (
	Any = "*"
	NA  = "-"
)

// ParseCPE reads a CPE 2.3 formatted string
// ("cpe:2.3:a:openbsd:openssh:9.2p1:*:*:*:*:*:*:*") or a CPE 2.2 URI
// ("cpe:/a:openbsd:openssh:9.2p1"), the form nmap writes. Attributes left
// out of a URI are ANY.
func ParseCPE(s string) (CPE, error) {
	var fields []string
	switch {
	case strings.HasPrefix(s, "cpe:2.3:"):
		fields = splitCPE(s[len("cpe:2.3:"):])
		if len(fields) != 11 {
			return CPE{}, fmt.Errorf("bad CPE %q: %d attributes, want 11", s, len(fields))
		}
	case strings.HasPrefix(s, "cpe:/"):
		fields = strings.Split(s[len("cpe:/"):], ":")
		if len(fields) > 7 {
			return CPE{}, fmt.Errorf("bad CPE %q: too many attributes", s)
		}
		for i, f := range fields {
			fields[i] = uriValue(f)
		}
		for len(fields) < 11 {
			fields = append(fields, Any)
		}
	default:
		return CPE{}, fmt.Errorf("bad CPE %q: want cpe:2.3: or cpe:/", s)
	}
	for i, f := range fields {
		if f == "" {
			return CPE{}, fmt.Errorf("bad CPE %q: empty attribute %d", s, i+1)
		}
		fields[i] = strings.ToLower(f)
	}
	c := CPE{fields[0], fields[1], fields[2], fields[3], fields[4], fields[5], fields[6],
		fields[7], fields[8], fields[9], fields[10]}
	if c.Part != "a" && c.Part != "o" && c.Part != "h" && c.Part != Any {
		return CPE{}, fmt.Errorf("bad CPE %q: part %q is not a, o or h", s, c.Part)
	}
	return c, nil
}

// splitCPE splits at the colons that no backslash quotes.
func splitCPE(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case ':':
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// uriValue turns a CPE 2.2 URI attribute into the formatted form: empty
// is ANY, percent escapes are decoded and quoted.
func uriValue(v string) string {
	if v == "" {
		return Any
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '%' && i+2 < len(v) {
			var n byte
			if _, err := fmt.Sscanf(v[i+1:i+3], "%02x", &n); err == nil {
				c = n
				i += 2
			}
		}
		if !isDigit(c) && !isLetter(c) && c != '_' && c != '-' && c != '.' {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return b.String()
}

// String writes the formatted string binding.
func (c CPE) String() string {
	return "cpe:2.3:" + strings.Join([]string{c.Part, c.Vendor, c.Product, c.Version, c.Update, c.Edition,
		c.Language, c.SWEdition, c.TargetSW, c.TargetHW, c.Other}, ":")
}

// concrete reports whether an attribute has a value (neither ANY nor NA).
func concrete(v string) bool { return v != Any && v != NA && v != "" }

// FullVersion is the version with a release suffix kept in the update
// attribute joined to it, as NVD writes OpenSSH's p releases
// ("8.9" + "p1" = "8.9p1"); "" when the version is not concrete.
func (c CPE) FullVersion() string {
	if !concrete(c.Version) {
		return ""
	}
	v := unquote(c.Version)
	if concrete(c.Update) && suffixLike(c.Update) {
		v += c.Update
	}
	return v
}

// suffixLike reports whether an update attribute reads as a release
// suffix: letters then digits ("p1", "rc2", "beta").
func suffixLike(u string) bool {
	i := 0
	for i < len(u) && isLetter(u[i]) {
		i++
	}
	if i == 0 {
		return false
	}
	for i < len(u) && isDigit(u[i]) {
		i++
	}
	return i == len(u)
}

func unquote(v string) string {
	if !strings.Contains(v, `\`) {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// ErrNoVendor is returned by Key for a name whose vendor or product is
// ANY or NA: such a name matches nothing.
var ErrNoVendor = errors.New("vulndb: CPE without a concrete vendor and product")

// Key is the part:vendor:product a name is indexed under.
func (c CPE) Key() (string, error) {
	if !concrete(c.Vendor) || !concrete(c.Product) || !concrete(c.Part) {
		return "", ErrNoVendor
	}
	return c.Part + ":" + c.Vendor + ":" + c.Product, nil
}

// Package banner holds what the plugins of line-based text protocols
// (FTP, SMTP, POP3, IMAP, NNTP) share: a table of well-known products
// matched against a greeting, the test that a line is text, reading the
// rest of a greeting line, and the dot-terminated lists that POP3's CAPA
// and NNTP's CAPABILITIES answer with.
package banner

import (
	"bytes"
	"regexp"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/record"
)

// Product is a well-known server's greeting: when Re matches, the server
// is Product, and Re's first group, if any, is its version. Vendor and
// Name, when Vendor is set, make its CPE.
type Product struct {
	Re                    *regexp.Regexp
	Product, Vendor, Name string
}

// Pattern is the product whose greetings match the regular expression
// re; it panics when re does not compile, like regexp.MustCompile, so
// belongs in package-level tables.
func Pattern(re, product, vendor, name string) Product {
	return Product{Re: regexp.MustCompile(re), Product: product, Vendor: vendor, Name: name}
}

// Products is a table of products, tried in order.
type Products []Product

// Apply fills in svc's product, version and CPE from the first product
// whose pattern matches text, and reports whether one did.
func (ps Products) Apply(svc *record.Service, text string) bool {
	for _, p := range ps {
		m := p.Re.FindStringSubmatch(text)
		if m == nil {
			continue
		}
		svc.Product = p.Product
		if len(m) > 1 {
			svc.Version = m[1]
		}
		if p.Vendor != "" {
			svc.CPE = []string{fingerprint.CPE(p.Vendor, p.Name, svc.Version)}
		}
		return true
	}
	return false
}

// IsText reports whether a line is text: no control bytes but tab.
func IsText[T ~string | ~[]byte](line T) bool {
	for i := 0; i < len(line); i++ {
		if ch := line[i]; (ch < 0x20 && ch != '\t') || ch == 0x7f {
			return false
		}
	}
	return true
}

// JoinInfo appends b to the extra information a, "; " between.
func JoinInfo(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// ReadLine returns the greeting's first line: banner when it holds a
// whole line, else banner and what c sends up to the line's end (up to
// max bytes).
func ReadLine(c *fingerprint.Conn, banner []byte, max int) ([]byte, error) {
	if bytes.IndexByte(banner, '\n') >= 0 {
		return banner, nil
	}
	rest, err := c.ReadUntil(fingerprint.UntilLine, max)
	if err != nil {
		return nil, err
	}
	return append(append([]byte(nil), banner...), rest...), nil
}

// DotListDone is a ReadUntil test for a status line followed, when the
// line starts with ok, by a list ended by a line holding a dot.
func DotListDone(b []byte, ok string) bool {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return false
	}
	if !bytes.HasPrefix(b, []byte(ok)) {
		return true
	}
	rest := b[i+1:]
	return bytes.HasPrefix(rest, []byte(".\r\n")) || bytes.HasPrefix(rest, []byte(".\n")) ||
		bytes.Contains(rest, []byte("\n.\r\n")) || bytes.Contains(rest, []byte("\n.\n"))
}

// DotList reads the list after b's status line: one item a line, up to a
// line holding a dot, blank lines left out. It reports false when a line
// is not text or no dot ends the list.
func DotList(b []byte) ([]string, bool) {
	lines := strings.Split(string(b), "\n")
	out := []string{}
	for _, l := range lines[1:] {
		l = strings.TrimRight(l, "\r")
		if l == "." {
			return out, true
		}
		if !IsText(l) {
			return nil, false
		}
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return nil, false
}

// HasCap reports whether one of caps starts with the word name, in any
// case.
func HasCap(caps []string, name string) bool {
	for _, c := range caps {
		if f := strings.Fields(c); len(f) > 0 && strings.EqualFold(f[0], name) {
			return true
		}
	}
	return false
}

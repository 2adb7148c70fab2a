// Package pop3 recognises POP3 servers (RFC 1939) by their "+OK"
// greeting, reads their capabilities with CAPA (RFC 2449), and upgrades
// the session with STLS (RFC 2595) where the server offers it.
package pop3

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/scan"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{
		Name:        "pop3",
		Proto:       portspec.TCP,
		Ports:       []uint16{110},
		TLSPorts:    []uint16{995},
		ServerFirst: true,
		Rarity:      5,
	}
}

const (
	// lineMax bounds the greeting line.
	lineMax = 4 << 10
	// capaMax bounds the answer to CAPA.
	capaMax = 16 << 10
)

func (plugin) Identify(ctx context.Context, c *fingerprint.Conn) (*scan.Service, error) {
	banner := c.Banner()
	if bytes.IndexByte(banner, '\n') < 0 {
		if !okPrefix(banner) {
			return nil, fingerprint.ErrNoMatch
		}
		// The greeting line still arriving.
		rest, err := c.ReadUntil(fingerprint.UntilLine, lineMax)
		if err != nil {
			return nil, fingerprint.ErrNoMatch
		}
		banner = append(append([]byte(nil), banner...), rest...)
	}
	svc, err := Parse(banner)
	if err != nil {
		return nil, err
	}
	b, err := c.Exchange([]byte("CAPA\r\n"), capaDone, capaMax)
	if err != nil {
		return svc, nil
	}
	caps, err := ParseCapa(b)
	if err != nil {
		if bytes.HasPrefix(b, []byte("-ERR")) {
			svc.Confidence = 9 // a POP3 server without CAPA
		}
		return svc, nil
	}
	svc.Confidence = 10
	implementation(svc, caps)
	if c.TLS() == nil && hasCap(caps, "STLS") {
		if err := startTLS(ctx, c); err != nil {
			svc.ExtraInfo = joinInfo(svc.ExtraInfo, "STLS failed")
		}
	}
	return svc, nil
}

// startTLS upgrades the session with STLS.
func startTLS(ctx context.Context, c *fingerprint.Conn) error {
	b, err := c.Exchange([]byte("STLS\r\n"), fingerprint.UntilLine, lineMax)
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(b, []byte("+OK")) {
		return errors.New("STLS refused")
	}
	return c.StartTLS(ctx, "STLS")
}

// okPrefix reports whether b could start a "+OK" line.
func okPrefix(b []byte) bool {
	n := min(len(b), 3)
	return len(b) > 0 && string(b[:n]) == "+OK"[:n]
}

// Parse reads a POP3 server's greeting: a line "+OK text".
func Parse(banner []byte) (*scan.Service, error) {
	i := bytes.IndexByte(banner, '\n')
	if i < 0 {
		return nil, fingerprint.ErrNoMatch
	}
	line := bytes.TrimRight(banner[:i], "\r")
	if !bytes.HasPrefix(line, []byte("+OK")) || (len(line) > 3 && line[3] != ' ') || !isText(line) {
		return nil, fingerprint.ErrNoMatch
	}
	text := strings.TrimSpace(string(line[3:]))
	svc := &scan.Service{Name: "pop3", Confidence: 8}
	for _, p := range products {
		m := p.re.FindStringSubmatch(text)
		if m == nil {
			continue
		}
		svc.Product = p.product
		if len(m) > 1 {
			svc.Version = m[1]
		}
		if p.vendor != "" {
			svc.CPE = []string{fingerprint.CPE(p.vendor, p.name, svc.Version)}
		}
		break
	}
	return svc, nil
}

// products are the greetings of well-known servers: the pattern's first
// group, if any, is the version.
var products = []struct {
	re                    *regexp.Regexp
	product, vendor, name string
}{
	{regexp.MustCompile(`^Dovecot\b`), "Dovecot pop3d", "dovecot", "dovecot"},
	{regexp.MustCompile(`\bCyrus POP3 v([0-9][\w.]*)`), "Cyrus pop3d", "", ""},
	{regexp.MustCompile(`\bCyrus POP3\b`), "Cyrus pop3d", "", ""},
	{regexp.MustCompile(`^Hello there\.`), "Courier pop3d", "", ""},
	{regexp.MustCompile(`^Qpopper \(version ([0-9][\w.]*)\)`), "Qpopper", "qualcomm", "qpopper"},
	{regexp.MustCompile(`Microsoft Exchange (?:Server 20\d\d )?POP3`), "Microsoft Exchange pop3d", "", ""},
	{regexp.MustCompile(`\bPOP3 (?:\S+ )?v(20\d\d\w*\.[\w.]+) server ready`), "UW pop3d", "", ""},
}

// capaDone is a ReadUntil test for the answer to CAPA: a "-ERR" line, or
// a "+OK" line and a list ended by a line holding a dot.
func capaDone(b []byte) bool {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return false
	}
	if !bytes.HasPrefix(b, []byte("+OK")) {
		return true
	}
	rest := b[i+1:]
	return bytes.HasPrefix(rest, []byte(".\r\n")) || bytes.HasPrefix(rest, []byte(".\n")) ||
		bytes.Contains(rest, []byte("\n.\r\n")) || bytes.Contains(rest, []byte("\n.\n"))
}

// ParseCapa reads the answer to CAPA and returns the capabilities it
// lists: "TOP", "SASL PLAIN", "STLS", "IMPLEMENTATION ...".
func ParseCapa(b []byte) ([]string, error) {
	if !bytes.HasPrefix(b, []byte("+OK")) || !capaDone(b) {
		return nil, fingerprint.ErrNoMatch
	}
	lines := strings.Split(string(b), "\n")
	out := []string{}
	for _, l := range lines[1:] {
		l = strings.TrimRight(l, "\r")
		if l == "." {
			return out, nil
		}
		if !isText([]byte(l)) {
			return nil, fingerprint.ErrNoMatch
		}
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return nil, fingerprint.ErrNoMatch
}

func hasCap(caps []string, name string) bool {
	for _, c := range caps {
		if f := strings.Fields(c); len(f) > 0 && strings.EqualFold(f[0], name) {
			return true
		}
	}
	return false
}

// implementation fills in the product from the IMPLEMENTATION
// capability when the greeting named none.
func implementation(svc *scan.Service, caps []string) {
	for _, c := range caps {
		f := strings.Fields(c)
		if len(f) > 1 && strings.EqualFold(f[0], "IMPLEMENTATION") && svc.Product == "" {
			svc.ExtraInfo = joinInfo(svc.ExtraInfo, strings.Join(f[1:], " "))
		}
	}
}

func joinInfo(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// isText reports whether a line is text: no control bytes but tab.
func isText(line []byte) bool {
	for _, ch := range line {
		if (ch < 0x20 && ch != '\t') || ch == 0x7f {
			return false
		}
	}
	return true
}

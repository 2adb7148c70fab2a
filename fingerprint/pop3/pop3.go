// Package pop3 recognises POP3 servers (RFC 1939) by their "+OK"
// greeting, reads their capabilities with CAPA (RFC 2449), and upgrades
// the session with STLS (RFC 2595) where the server offers it.
package pop3

import (
	"bytes"
	"context"
	"errors"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/internal/banner"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
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

func (plugin) Identify(ctx context.Context, c *fingerprint.Conn) (*record.Service, error) {
	greet := c.Banner()
	if bytes.IndexByte(greet, '\n') < 0 && !okPrefix(greet) {
		return nil, fingerprint.ErrNoMatch
	}
	// The greeting line may still be arriving.
	greet, err := banner.ReadLine(c, greet, lineMax)
	if err != nil {
		return nil, fingerprint.ErrNoMatch
	}
	svc, err := Parse(greet)
	if err != nil {
		return nil, err
	}
	// A "+OK" greeting that names neither POP nor a product is only a
	// shape: CAPA must confirm it.
	generic := svc.Product == "" && !strings.Contains(strings.ToLower(string(greet)), "pop")
	b, err := c.Exchange([]byte("CAPA\r\n"), capaDone, capaMax)
	if err != nil {
		if generic {
			return nil, fingerprint.ErrNoMatch
		}
		return svc, nil
	}
	caps, err := ParseCapa(b)
	if err != nil {
		if IsErr(b) {
			svc.Confidence = 9 // a POP3 server without CAPA
			return svc, nil
		}
		if generic {
			return nil, fingerprint.ErrNoMatch
		}
		return svc, nil
	}
	svc.Confidence = 10
	implementation(svc, caps)
	if c.TLS() == nil && banner.HasCap(caps, "STLS") {
		if err := startTLS(ctx, c); err != nil {
			svc.ExtraInfo = banner.JoinInfo(svc.ExtraInfo, "STLS failed")
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

// IsErr reports whether b is a POP3 negative status line: "-ERR", then
// a space or the line's end.
func IsErr(b []byte) bool {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return false
	}
	line := bytes.TrimRight(b[:i], "\r")
	return bytes.HasPrefix(line, []byte("-ERR")) && (len(line) == 4 || line[4] == ' ') && banner.IsText(line)
}

// okPrefix reports whether b could start a "+OK" line.
func okPrefix(b []byte) bool {
	n := min(len(b), 3)
	return len(b) > 0 && string(b[:n]) == "+OK"[:n]
}

// Parse reads a POP3 server's greeting: a line "+OK text".
func Parse(greet []byte) (*record.Service, error) {
	i := bytes.IndexByte(greet, '\n')
	if i < 0 {
		return nil, fingerprint.ErrNoMatch
	}
	line := bytes.TrimRight(greet[:i], "\r")
	if !bytes.HasPrefix(line, []byte("+OK")) || (len(line) > 3 && line[3] != ' ') || !banner.IsText(line) {
		return nil, fingerprint.ErrNoMatch
	}
	text := strings.TrimSpace(string(line[3:]))
	svc := &record.Service{Name: "pop3", Confidence: 8}
	products.Apply(svc, text)
	return svc, nil
}

// products are the greetings of well-known servers: the pattern's first
// group, if any, is the version.
var products = banner.Products{
	banner.Pattern(`^Dovecot\b`, "Dovecot pop3d", "dovecot", "dovecot"),
	banner.Pattern(`\bCyrus POP3 v([0-9][\w.]*)`, "Cyrus pop3d", "", ""),
	banner.Pattern(`\bCyrus POP3\b`, "Cyrus pop3d", "", ""),
	banner.Pattern(`^Hello there\.`, "Courier pop3d", "", ""),
	banner.Pattern(`^Qpopper \(version ([0-9][\w.]*)\)`, "Qpopper", "qualcomm", "qpopper"),
	banner.Pattern(`Microsoft Exchange (?:Server 20\d\d )?POP3`, "Microsoft Exchange pop3d", "", ""),
	banner.Pattern(`\bPOP3 (?:\S+ )?v(20\d\d\w*\.[\w.]+) server ready`, "UW pop3d", "", ""),
}

// capaDone is a ReadUntil test for the answer to CAPA: a "-ERR" line, or
// a "+OK" line and a list ended by a line holding a dot.
func capaDone(b []byte) bool { return banner.DotListDone(b, "+OK") }

// ParseCapa reads the answer to CAPA and returns the capabilities it
// lists: "TOP", "SASL PLAIN", "STLS", "IMPLEMENTATION ...".
func ParseCapa(b []byte) ([]string, error) {
	if !bytes.HasPrefix(b, []byte("+OK")) || !capaDone(b) {
		return nil, fingerprint.ErrNoMatch
	}
	out, ok := banner.DotList(b)
	if !ok {
		return nil, fingerprint.ErrNoMatch
	}
	return out, nil
}

// implementation fills in the product from the IMPLEMENTATION
// capability when the greeting named none.
func implementation(svc *record.Service, caps []string) {
	for _, c := range caps {
		f := strings.Fields(c)
		if len(f) > 1 && strings.EqualFold(f[0], "IMPLEMENTATION") && svc.Product == "" {
			svc.ExtraInfo = banner.JoinInfo(svc.ExtraInfo, strings.Join(f[1:], " "))
		}
	}
}

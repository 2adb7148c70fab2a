// Package nntp recognises NNTP servers (RFC 3977) by their greeting (200:
// posting allowed, 201: no posting), reads their CAPABILITIES, and
// upgrades the session with STARTTLS (RFC 4642) where the server offers
// it.
package nntp

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
		Name:        "nntp",
		Proto:       portspec.TCP,
		Ports:       []uint16{119},
		TLSPorts:    []uint16{563},
		ServerFirst: true,
		Rarity:      7,
	}
}

const (
	// lineMax bounds a status line.
	lineMax = 4 << 10
	// capsMax bounds the capability list.
	capsMax = 16 << 10
)

func (plugin) Identify(ctx context.Context, c *fingerprint.Conn) (*record.Service, error) {
	greet, err := banner.ReadLine(c, c.Banner(), lineMax)
	if err != nil {
		return nil, fingerprint.ErrNoMatch
	}
	g, err := parseGreeting(greet)
	if err != nil {
		return nil, fingerprint.ErrNoMatch
	}
	svc := g.svc
	if g.refusing {
		return svc, nil
	}
	b, err := c.Exchange([]byte("CAPABILITIES\r\n"), capsDone, capsMax)
	code, _, ok := statusLine(b)
	switch {
	case err != nil || !ok:
		if g.generic {
			return nil, fingerprint.ErrNoMatch
		}
		return svc, nil
	case code != 101:
		// An NNTP server from before RFC 3977 refuses CAPABILITIES, but
		// answers HELP with 100 and a list ended by a dot (RFC 977); a
		// greeting that names no news server needs that.
		if g.generic && !helpConfirms(c) {
			return nil, fingerprint.ErrNoMatch
		}
		svc.Confidence = max(svc.Confidence, 7)
		return svc, nil
	}
	caps, err := ParseCapabilities(b)
	if err != nil {
		if g.generic {
			return nil, fingerprint.ErrNoMatch
		}
		return svc, nil
	}
	svc.Confidence = 10
	fromCapabilities(svc, caps)
	if c.TLS() == nil && banner.HasCap(caps, "STARTTLS") {
		if err := startTLS(ctx, c); err != nil {
			svc.ExtraInfo = banner.JoinInfo(svc.ExtraInfo, "STARTTLS failed")
		}
	}
	return svc, nil
}

// helpConfirms asks HELP and reports whether the answer is NNTP's.
func helpConfirms(c *fingerprint.Conn) bool {
	b, err := c.Exchange([]byte("HELP\r\n"), helpDone, capsMax)
	return err == nil && IsHelp(b)
}

func helpDone(b []byte) bool { return banner.DotListDone(b, "100") }

// IsHelp reports whether b is an NNTP answer to HELP: status 100, then
// text lines up to a line holding a dot (RFC 3977 section 7.2).
func IsHelp(b []byte) bool {
	code, _, ok := statusLine(b)
	if !ok || code != 100 {
		return false
	}
	_, ok = banner.DotList(b)
	return ok
}

// startTLS upgrades the session with STARTTLS.
func startTLS(ctx context.Context, c *fingerprint.Conn) error {
	b, err := c.Exchange([]byte("STARTTLS\r\n"), fingerprint.UntilLine, lineMax)
	if err != nil {
		return err
	}
	if code, _, _ := statusLine(b); code != 382 {
		return errors.New("STARTTLS refused")
	}
	return c.StartTLS(ctx, "STARTTLS")
}

// Parse reads an NNTP server's greeting: a 200 or 201 status line, or a
// 400 or 502 refusal that names a news server.
func Parse(banner []byte) (*record.Service, error) {
	g, err := parseGreeting(banner)
	if err != nil {
		return nil, fingerprint.ErrNoMatch
	}
	return g.svc, nil
}

type greeting struct {
	svc *record.Service
	// generic is true when nothing in the greeting names news.
	generic bool
	// refusing is true for a 400 or 502 greeting.
	refusing bool
}

var errNotNNTP = errors.New("not an NNTP greeting")

func parseGreeting(banner []byte) (greeting, error) {
	code, text, ok := statusLine(banner)
	if !ok {
		return greeting{}, errNotNNTP
	}
	newsy := looksNews(text)
	switch {
	case code == 200 || code == 201:
	case (code == 400 || code == 502) && newsy:
	default:
		return greeting{}, errNotNNTP
	}
	g := greeting{svc: &record.Service{Name: "nntp", Confidence: 8}, generic: !newsy, refusing: code >= 400}
	switch {
	case g.generic:
		g.svc.Confidence = 6
	case g.refusing:
		g.svc.ExtraInfo = "refusing: " + text
	}
	switch code {
	case 200:
		g.svc.ExtraInfo = "posting ok"
	case 201:
		g.svc.ExtraInfo = "no posting"
	}
	products.Apply(g.svc, text)
	return g, nil
}

// statusLine reads the first line of b: a three-digit status code and
// its text.
func statusLine(b []byte) (code int, text string, ok bool) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return 0, "", false
	}
	line := bytes.TrimRight(b[:i], "\r")
	if len(line) < 3 || line[0] < '1' || line[0] > '5' || !isDigit(line[1]) || !isDigit(line[2]) ||
		(len(line) > 3 && line[3] != ' ') || !banner.IsText(line) {
		return 0, "", false
	}
	code = int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0')
	return code, strings.TrimSpace(string(line[3:])), true
}

// products are the greetings of well-known servers: the pattern's first
// group, if any, is the version.
var products = banner.Products{
	banner.Pattern(`\bINN ([0-9][\w.]*)`, "INN", "isc", "inn"),
	banner.Pattern(`\bInterNetNews\b`, "INN", "isc", "inn"),
	banner.Pattern(`(?i)\bLeafnode NNTP Daemon, version ([0-9][\w.]*)`, "Leafnode", "", ""),
	banner.Pattern(`(?i)\bLeafnode\b`, "Leafnode", "", ""),
	banner.Pattern(`\bDIABLO\b`, "Diablo", "", ""),
}

// looksNews reports whether a greeting names a news server.
func looksNews(text string) bool {
	t := strings.ToLower(text)
	for _, w := range []string{"nntp", "news", "leafnode", "diablo"} {
		if strings.Contains(t, w) {
			return true
		}
	}
	return false
}

// capsDone is a ReadUntil test for the answer to CAPABILITIES: a status
// line, and for 101 the list up to a line holding a dot.
func capsDone(b []byte) bool { return banner.DotListDone(b, "101") }

// ParseCapabilities reads the answer to CAPABILITIES: "101", then one
// capability a line up to a line holding a dot.
func ParseCapabilities(b []byte) ([]string, error) {
	if code, _, ok := statusLine(b); !ok || code != 101 {
		return nil, fingerprint.ErrNoMatch
	}
	out, ok := banner.DotList(b)
	if !ok {
		return nil, fingerprint.ErrNoMatch
	}
	return out, nil
}

// fromCapabilities takes the product and version from IMPLEMENTATION
// ("IMPLEMENTATION INN 2.7.1") where the greeting named none.
func fromCapabilities(svc *record.Service, caps []string) {
	for _, c := range caps {
		f := strings.Fields(c)
		if len(f) < 2 || !strings.EqualFold(f[0], "IMPLEMENTATION") {
			continue
		}
		impl := strings.Join(f[1:], " ")
		if svc.Product == "" || svc.Version == "" {
			before := svc.Product
			products.Apply(svc, impl)
			if svc.Product == before && before == "" {
				svc.ExtraInfo = banner.JoinInfo(svc.ExtraInfo, impl)
			}
		}
	}
}

func isDigit(ch byte) bool { return ch >= '0' && ch <= '9' }

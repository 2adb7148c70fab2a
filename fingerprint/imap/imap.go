// Package imap recognises IMAP servers (RFC 9051, RFC 3501) by their
// untagged greeting, reads their capabilities and their ID (RFC 2971),
// and upgrades the session with STARTTLS where the server offers it.
package imap

import (
	"bytes"
	"context"
	"errors"
	"regexp"
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
		Name:        "imap",
		Proto:       portspec.TCP,
		Ports:       []uint16{143},
		TLSPorts:    []uint16{993},
		ServerFirst: true,
		Rarity:      5,
	}
}

// replyMax bounds the greeting and each answer read from the server.
const replyMax = 16 << 10

func (plugin) Identify(ctx context.Context, c *fingerprint.Conn) (*record.Service, error) {
	greet := c.Banner()
	if bytes.IndexByte(greet, '\n') < 0 && !bytes.HasPrefix([]byte("* "), greet[:min(len(greet), 2)]) {
		return nil, fingerprint.ErrNoMatch
	}
	greet, err := banner.ReadLine(c, greet, replyMax)
	if err != nil {
		return nil, fingerprint.ErrNoMatch
	}
	g, err := parseGreeting(greet)
	if err != nil {
		return nil, fingerprint.ErrNoMatch
	}
	svc := g.svc
	// A greeting without capabilities that names neither IMAP nor a
	// product is only a shape: CAPABILITY must confirm it.
	generic := g.caps == nil && svc.Product == "" && !strings.Contains(strings.ToUpper(string(greet)), "IMAP")
	if g.status == "BYE" {
		if generic {
			return nil, fingerprint.ErrNoMatch
		}
		return svc, nil
	}
	caps := g.caps
	if caps == nil {
		b, err := c.Exchange([]byte("a1 CAPABILITY\r\n"), taggedDone("a1"), replyMax)
		if err == nil {
			caps, err = ParseCapability(b)
		}
		if err != nil {
			if generic {
				return nil, fingerprint.ErrNoMatch
			}
			return svc, nil
		}
	}
	switch {
	case hasCap(caps, "IMAP4rev1") || hasCap(caps, "IMAP4rev2"):
		svc.Confidence = 10
	case generic:
		return nil, fingerprint.ErrNoMatch
	}
	if hasCap(caps, "ID") && svc.Version == "" {
		if b, err := c.Exchange([]byte("a2 ID NIL\r\n"), taggedDone("a2"), replyMax); err == nil {
			if id, err := ParseID(b); err == nil {
				fromID(svc, id)
			}
		}
	}
	if c.TLS() == nil && hasCap(caps, "STARTTLS") {
		if err := startTLS(ctx, c); err != nil {
			svc.ExtraInfo = "STARTTLS failed"
		}
	}
	return svc, nil
}

// startTLS upgrades the session with STARTTLS.
func startTLS(ctx context.Context, c *fingerprint.Conn) error {
	b, err := c.Exchange([]byte("a3 STARTTLS\r\n"), taggedDone("a3"), replyMax)
	if err != nil {
		return err
	}
	if !bytes.Contains(b, []byte("a3 OK")) {
		return errors.New("STARTTLS refused")
	}
	return c.StartTLS(ctx, "STARTTLS")
}

// taggedDone is a ReadUntil test: a whole line tagged tag arrived, or
// the server said BYE.
func taggedDone(tag string) func([]byte) bool {
	return func(b []byte) bool {
		for {
			i := bytes.IndexByte(b, '\n')
			if i < 0 {
				return false
			}
			if bytes.HasPrefix(b, []byte(tag+" ")) || bytes.HasPrefix(b, []byte("* BYE")) {
				return true
			}
			b = b[i+1:]
		}
	}
}

// Parse reads an IMAP server's greeting: an untagged OK, PREAUTH or BYE.
func Parse(banner []byte) (*record.Service, error) {
	g, err := parseGreeting(banner)
	if err != nil {
		return nil, fingerprint.ErrNoMatch
	}
	return g.svc, nil
}

type greeting struct {
	svc    *record.Service
	status string
	caps   []string
}

var errNotIMAP = errors.New("not an IMAP greeting")

func parseGreeting(greet []byte) (greeting, error) {
	i := bytes.IndexByte(greet, '\n')
	if i < 0 {
		return greeting{}, errNotIMAP
	}
	line := string(bytes.TrimRight(greet[:i], "\r"))
	if !banner.IsText(line) || !strings.HasPrefix(line, "* ") {
		return greeting{}, errNotIMAP
	}
	status, text, _ := strings.Cut(line[2:], " ")
	status = strings.ToUpper(status)
	if status != "OK" && status != "PREAUTH" && status != "BYE" {
		return greeting{}, errNotIMAP
	}
	g := greeting{status: status, svc: &record.Service{Name: "imap", Confidence: 8}}
	// An optional response code: [CAPABILITY IMAP4rev1 ...].
	if strings.HasPrefix(text, "[") {
		code, after, ok := strings.Cut(text[1:], "]")
		if !ok {
			return greeting{}, errNotIMAP
		}
		if f := strings.Fields(code); len(f) > 0 && strings.EqualFold(f[0], "CAPABILITY") {
			g.caps = f[1:]
		}
		text = strings.TrimSpace(after)
	}
	if status == "BYE" {
		g.svc.ExtraInfo = "refusing: " + text
	}
	if status == "PREAUTH" {
		g.svc.ExtraInfo = "preauthenticated"
	}
	products.Apply(g.svc, text)
	return g, nil
}

// products are the greetings of well-known servers: the pattern's first
// group, if any, is the version.
var products = banner.Products{
	banner.Pattern(`\bDovecot\b`, "Dovecot imapd", "dovecot", "dovecot"),
	banner.Pattern(`\bCourier-IMAP\b`, "Courier Imapd", "", ""),
	banner.Pattern(`\bCyrus IMAP4? v([0-9][\w.]*)`, "Cyrus imapd", "", ""),
	banner.Pattern(`\bCyrus IMAP`, "Cyrus imapd", "", ""),
	banner.Pattern(`\bIMAP4rev1 (20\d\d\w*\.[\w.]+) at\b`, "UW imapd", "", ""),
	banner.Pattern(`Microsoft Exchange (?:Server 20\d\d )?IMAP4`, "Microsoft Exchange imapd", "", ""),
	banner.Pattern(`^Gimap ready`, "Gmail imapd", "", ""),
}

// ParseCapability reads the answer to CAPABILITY: an untagged
// CAPABILITY line and a tagged OK.
func ParseCapability(b []byte) ([]string, error) {
	var caps []string
	ok := false
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimRight(line, "\r")
		if !banner.IsText(line) {
			return nil, fingerprint.ErrNoMatch
		}
		f := strings.Fields(line)
		switch {
		case len(f) >= 2 && f[0] == "*" && strings.EqualFold(f[1], "CAPABILITY"):
			caps = append(caps, f[2:]...)
		case len(f) >= 2 && f[0] != "*" && strings.EqualFold(f[1], "OK"):
			ok = true
		}
	}
	if !ok || caps == nil {
		return nil, fingerprint.ErrNoMatch
	}
	return caps, nil
}

func hasCap(caps []string, name string) bool {
	for _, c := range caps {
		if strings.EqualFold(c, name) {
			return true
		}
	}
	return false
}

// fromID completes the product and version from the server's ID.
func fromID(svc *record.Service, id map[string]string) {
	name, version := id["name"], id["version"]
	switch {
	case name == "":
		return
	case strings.EqualFold(name, "Dovecot"):
		svc.Product = "Dovecot imapd"
	case strings.Contains(strings.ToLower(name), "cyrus"):
		svc.Product = "Cyrus imapd"
	case svc.Product == "":
		svc.Product = name
	}
	if m := versionRE.FindStringSubmatch(version); m != nil {
		svc.Version = m[1]
	}
	if svc.Product == "Dovecot imapd" {
		svc.CPE = []string{fingerprint.CPE("dovecot", "dovecot", svc.Version)}
	}
}

var versionRE = regexp.MustCompile(`^v?([0-9]+(?:\.[0-9]+)+[a-z]?)`)

// Package smtp recognises SMTP servers (RFC 5321) by their greeting and
// their answer to EHLO, and upgrades the session with STARTTLS (RFC 3207)
// where the server offers it.
package smtp

import (
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

// Rarity 4 puts SMTP before FTP among the server-first plugins on a port
// neither claims: a bare "220" greeting is tried with EHLO first, which
// an FTP server refuses, while FTP has no such clean test.
func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{
		Name:        "smtp",
		Proto:       portspec.TCP,
		Ports:       []uint16{25, 587, 2525},
		TLSPorts:    []uint16{465},
		ServerFirst: true,
		Rarity:      4,
	}
}

const (
	// replyMax bounds one reply read from the server.
	replyMax = 16 << 10
	// heloName is the name the client gives in EHLO: a reserved domain
	// (RFC 2606) that names no real host.
	heloName = "ajar.invalid"
)

func (plugin) Identify(ctx context.Context, c *fingerprint.Conn) (*scan.Service, error) {
	banner := c.Banner()
	g, err := parseGreeting(banner)
	if errors.Is(err, errIncomplete) {
		rest, rerr := c.ReadUntil(func(b []byte) bool { return replyDone(join(banner, b)) }, replyMax)
		if rerr != nil {
			return nil, fingerprint.ErrNoMatch
		}
		g, err = parseGreeting(join(banner, rest))
	}
	if err != nil {
		return nil, fingerprint.ErrNoMatch
	}
	svc := g.svc
	if g.refusing {
		return svc, nil
	}
	ehlo, err := exchange(c, "EHLO "+heloName+"\r\n")
	if err == nil && ehlo.Code == 250 {
		svc.Confidence = 10
		if c.TLS() == nil && hasExtension(ehlo, "STARTTLS") {
			if err := startTLS(ctx, c); err != nil {
				svc.ExtraInfo = "STARTTLS failed"
			}
		}
		return svc, nil
	}
	if !g.generic {
		return svc, nil
	}
	// A greeting that names no mail server, and no EHLO: an old server
	// still takes HELO; an FTP server takes neither.
	if err == nil {
		if helo, err := exchange(c, "HELO "+heloName+"\r\n"); err == nil && helo.Code == 250 {
			svc.Confidence = 8
			return svc, nil
		}
	}
	return nil, fingerprint.ErrNoMatch
}

// startTLS upgrades the session with STARTTLS.
func startTLS(ctx context.Context, c *fingerprint.Conn) error {
	r, err := exchange(c, "STARTTLS\r\n")
	if err != nil {
		return err
	}
	if r.Code != 220 {
		return errors.New("STARTTLS refused: " + r.Text())
	}
	return c.StartTLS(ctx, "STARTTLS")
}

// exchange sends one command and reads its reply.
func exchange(c *fingerprint.Conn, cmd string) (Reply, error) {
	b, err := c.Exchange([]byte(cmd), replyDone, replyMax)
	if err != nil {
		return Reply{}, err
	}
	return parseReply(b)
}

func join(a, b []byte) []byte {
	out := make([]byte, 0, len(a)+len(b))
	return append(append(out, a...), b...)
}

// Parse reads an SMTP server's greeting: a 220 reply that does not look
// like an FTP server's, or a 421 or 554 refusal that names SMTP.
func Parse(banner []byte) (*scan.Service, error) {
	g, err := parseGreeting(banner)
	if err != nil {
		return nil, fingerprint.ErrNoMatch
	}
	return g.svc, nil
}

// greeting is what the greeting alone says.
type greeting struct {
	svc *scan.Service
	// generic is true when nothing in the greeting says SMTP.
	generic bool
	// refusing is true for a 421 or 554 greeting: no mail taken here.
	refusing bool
}

func parseGreeting(banner []byte) (greeting, error) {
	r, err := parseReply(banner)
	if err != nil {
		return greeting{}, err
	}
	text := r.Text()
	smtpish, ftpish := looksSMTP(text), looksFTP(text)
	switch {
	case r.Code != 220 && !(smtpish && (r.Code == 421 || r.Code == 554)):
		return greeting{}, errNotReply
	case ftpish && !smtpish:
		return greeting{}, errNotReply
	}
	g := greeting{svc: &scan.Service{Name: "smtp", Confidence: 8}, generic: !smtpish, refusing: r.Code != 220}
	if g.generic {
		g.svc.Confidence = 5
	}
	if g.refusing {
		g.svc.ExtraInfo = "refusing: " + strings.TrimSpace(r.Lines[0])
	}
	product(g.svc, text)
	return g, nil
}

// products are the greetings of well-known servers: the pattern's first
// group, if any, is the version.
var products = []struct {
	re                    *regexp.Regexp
	product, vendor, name string
}{
	{regexp.MustCompile(`\bExim ([0-9][\w.]*)`), "Exim smtpd", "exim", "exim"},
	{regexp.MustCompile(`\bExim\b`), "Exim smtpd", "exim", "exim"},
	{regexp.MustCompile(`\bPostfix(?: ([0-9][\w.]*))?`), "Postfix smtpd", "postfix", "postfix"},
	{regexp.MustCompile(`\bSendmail(?: ([0-9][\w.]*))?`), "Sendmail", "sendmail", "sendmail"},
	{regexp.MustCompile(`\bOpenSMTPD\b`), "OpenSMTPD", "openbsd", "opensmtpd"},
	{regexp.MustCompile(`Microsoft ESMTP MAIL Service(?:, Version: ([0-9][\w.]*))?`), "Microsoft ESMTP", "", ""},
	{regexp.MustCompile(`\bHaraka/([0-9][\w.]*)`), "Haraka", "", ""},
}

func product(svc *scan.Service, text string) {
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
		return
	}
}

// looksSMTP reports whether a greeting names SMTP or a mail server.
func looksSMTP(text string) bool {
	t := strings.ToLower(text)
	for _, w := range []string{"smtp", "postfix", "exim", "sendmail", "qmail", "haraka", "mail service"} {
		if strings.Contains(t, w) {
			return true
		}
	}
	return false
}

// looksFTP reports whether a greeting names FTP or an FTP server.
func looksFTP(text string) bool {
	t := strings.ToLower(text)
	return strings.Contains(t, "ftp") || strings.Contains(t, "filezilla") || strings.Contains(t, "serv-u")
}

// ParseEHLO reads a server's answer to EHLO and returns the service
// extensions it lists (RFC 5321 section 4.1.1.1), upper case: SIZE
// 52428800, STARTTLS, ...
func ParseEHLO(b []byte) ([]string, error) {
	r, err := parseReply(b)
	if err != nil || r.Code != 250 {
		return nil, fingerprint.ErrNoMatch
	}
	var out []string
	for _, l := range r.Lines[1:] {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, strings.ToUpper(l))
		}
	}
	return out, nil
}

// hasExtension reports whether an EHLO reply lists the extension.
func hasExtension(r Reply, ext string) bool {
	for _, l := range r.Lines[1:] {
		if f := strings.Fields(l); len(f) > 0 && strings.EqualFold(f[0], ext) {
			return true
		}
	}
	return false
}

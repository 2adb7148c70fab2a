// Package smtp recognises SMTP servers (RFC 5321) by their greeting and
// their answer to EHLO, and upgrades the session with STARTTLS (RFC 3207)
// where the server offers it.
package smtp

import (
	"context"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/internal/banner"
	"github.com/ajarsec/ajar/fingerprint/internal/reply"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
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

// Reply is one SMTP reply (RFC 5321 section 4.2): a three-digit code and
// the text of its lines. Every line of a multi-line reply but the last
// starts "250-"; the last starts "250 ".
type Reply = reply.Reply

func (plugin) Identify(ctx context.Context, c *fingerprint.Conn) (*record.Service, error) {
	greet, err := reply.Complete(c, c.Banner(), replyMax)
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
	ehlo, err := reply.Exchange(c, "EHLO "+heloName+"\r\n", replyMax)
	if err == nil && ehlo.Code == 250 {
		svc.Confidence = 10
		if c.TLS() == nil && hasExtension(ehlo, "STARTTLS") {
			if err := reply.StartTLS(ctx, c, "STARTTLS", 220, replyMax); err != nil {
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
		if helo, err := reply.Exchange(c, "HELO "+heloName+"\r\n", replyMax); err == nil && helo.Code == 250 {
			svc.Confidence = 8
			return svc, nil
		}
	}
	return nil, fingerprint.ErrNoMatch
}

// Parse reads an SMTP server's greeting: a 220 reply that does not look
// like an FTP server's, or a 421 or 554 refusal that names SMTP.
func Parse(banner []byte) (*record.Service, error) {
	g, err := parseGreeting(banner)
	if err != nil {
		return nil, fingerprint.ErrNoMatch
	}
	return g.svc, nil
}

// greeting is what the greeting alone says.
type greeting struct {
	svc *record.Service
	// generic is true when nothing in the greeting says SMTP.
	generic bool
	// refusing is true for a 421 or 554 greeting: no mail taken here.
	refusing bool
}

func parseGreeting(banner []byte) (greeting, error) {
	r, err := reply.Parse(banner)
	if err != nil {
		return greeting{}, err
	}
	text := r.Text()
	smtpish, ftpish := looksSMTP(text), looksFTP(text)
	switch {
	case r.Code != 220 && !(smtpish && (r.Code == 421 || r.Code == 554)):
		return greeting{}, reply.ErrNotReply
	case ftpish && !smtpish:
		return greeting{}, reply.ErrNotReply
	}
	g := greeting{svc: &record.Service{Name: "smtp", Confidence: 8}, generic: !smtpish, refusing: r.Code != 220}
	if g.generic {
		g.svc.Confidence = 5
	}
	if g.refusing {
		g.svc.ExtraInfo = "refusing: " + strings.TrimSpace(r.Lines[0])
	}
	products.Apply(g.svc, text)
	return g, nil
}

// products are the greetings of well-known servers: the pattern's first
// group, if any, is the version.
var products = banner.Products{
	banner.Pattern(`\bExim ([0-9][\w.]*)`, "Exim smtpd", "exim", "exim"),
	banner.Pattern(`\bExim\b`, "Exim smtpd", "exim", "exim"),
	banner.Pattern(`\bPostfix(?: ([0-9][\w.]*))?`, "Postfix smtpd", "postfix", "postfix"),
	banner.Pattern(`\bSendmail(?: ([0-9][\w.]*))?`, "Sendmail", "sendmail", "sendmail"),
	banner.Pattern(`\bOpenSMTPD\b`, "OpenSMTPD", "openbsd", "opensmtpd"),
	banner.Pattern(`Microsoft ESMTP MAIL Service(?:, Version: ([0-9][\w.]*))?`, "Microsoft ESMTP", "", ""),
	banner.Pattern(`\bHaraka/([0-9][\w.]*)`, "Haraka", "", ""),
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
	r, err := reply.Parse(b)
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
	return banner.HasCap(r.Lines[1:], ext)
}

// Package ftp recognises FTP servers (RFC 959) by their greeting, confirms
// a greeting that names no FTP server with FEAT (RFC 2389), and upgrades
// the session with AUTH TLS (RFC 4217) where the server offers it.
package ftp

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

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{
		Name:        "ftp",
		Proto:       portspec.TCP,
		Ports:       []uint16{21, 2121},
		TLSPorts:    []uint16{990},
		ServerFirst: true,
		Rarity:      5,
	}
}

// replyMax bounds one reply read from the server.
const replyMax = 16 << 10

func (plugin) Identify(ctx context.Context, c *fingerprint.Conn) (*scan.Service, error) {
	banner := c.Banner()
	g, err := parseGreeting(banner)
	if errors.Is(err, errIncomplete) {
		// A multi-line greeting still arriving: read the rest of it.
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
	feat, ferr := exchange(c, "FEAT\r\n")
	switch {
	case ferr == nil && feat.Code == 211:
		svc.Confidence = 10
	case ferr == nil && !smtpReply(feat):
		// An FTP server without FEAT answers 500 or 502.
		if g.generic {
			svc.Confidence = 6
		}
	case g.generic:
		return nil, fingerprint.ErrNoMatch
	}
	if ferr == nil && feat.Code == 211 && c.TLS() == nil && HasAuthTLS(feat) {
		if err := startTLS(ctx, c); err != nil {
			svc.ExtraInfo = joinInfo(svc.ExtraInfo, "AUTH TLS failed")
		}
	}
	return svc, nil
}

// startTLS upgrades the session with AUTH TLS.
func startTLS(ctx context.Context, c *fingerprint.Conn) error {
	r, err := exchange(c, "AUTH TLS\r\n")
	if err != nil {
		return err
	}
	if r.Code != 234 {
		return errors.New("AUTH TLS refused: " + r.Text())
	}
	return c.StartTLS(ctx, "AUTH TLS")
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

// Parse reads an FTP server's greeting: a 220 reply that does not look
// like an SMTP server's, or a 120 or 421 reply that names FTP.
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
	// generic is true when nothing in the greeting says FTP: a mail
	// server could have said it too.
	generic bool
}

func parseGreeting(banner []byte) (greeting, error) {
	r, err := parseReply(banner)
	if err != nil {
		return greeting{}, err
	}
	text := r.Text()
	ftpish, smtpish := looksFTP(text), looksSMTP(text)
	switch {
	case r.Code != 220 && !(ftpish && (r.Code == 120 || r.Code == 421)):
		return greeting{}, errNotReply
	case smtpish && !ftpish:
		return greeting{}, errNotReply
	}
	svc := &scan.Service{Name: "ftp", Confidence: 8}
	if !ftpish {
		svc.Confidence = 5
	}
	if r.Code != 220 {
		svc.ExtraInfo = "refusing: " + strings.TrimSpace(r.Lines[0])
	}
	product(svc, text)
	return greeting{svc: svc, generic: !ftpish}, nil
}

// products are the greetings of well-known servers: the pattern's first
// group, if any, is the version.
var products = []struct {
	re                    *regexp.Regexp
	product, vendor, name string
}{
	{regexp.MustCompile(`\(vsFTPd ([0-9][\w.]*)\)`), "vsftpd", "beasts", "vsftpd"},
	{regexp.MustCompile(`ProFTPD(?: ([0-9][\w.]*))?`), "ProFTPD", "proftpd", "proftpd"},
	{regexp.MustCompile(`Pure-FTPd`), "Pure-FTPd", "pureftpd", "pure-ftpd"},
	{regexp.MustCompile(`FileZilla Server(?: version)? ([0-9][\w.]*)`), "FileZilla ftpd", "filezilla-project", "filezilla_server"},
	{regexp.MustCompile(`FileZilla Server`), "FileZilla ftpd", "filezilla-project", "filezilla_server"},
	{regexp.MustCompile(`Version wu-([0-9][\w.]*)`), "WU-FTPD", "washington_university", "wu-ftpd"},
	{regexp.MustCompile(`Serv-U FTP Server v([0-9][\w.]*)`), "Serv-U ftpd", "", ""},
	{regexp.MustCompile(`Microsoft FTP Service`), "Microsoft ftpd", "", ""},
	{regexp.MustCompile(`pyftpdlib ([0-9][\w.]*)`), "pyftpdlib", "", ""},
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
		svc.Confidence = max(svc.Confidence, 8)
		return
	}
}

// looksFTP reports whether a greeting names FTP or an FTP server.
func looksFTP(text string) bool {
	t := strings.ToLower(text)
	return strings.Contains(t, "ftp") || strings.Contains(t, "filezilla") || strings.Contains(t, "serv-u")
}

// looksSMTP reports whether a greeting names SMTP or a mail server.
func looksSMTP(text string) bool {
	t := strings.ToLower(text)
	for _, w := range []string{"smtp", "postfix", "exim", "sendmail", "qmail", "mail service"} {
		if strings.Contains(t, w) {
			return true
		}
	}
	return false
}

// enhanced matches an RFC 3463 enhanced status code, which mail servers
// put in their replies and FTP servers do not.
var enhanced = regexp.MustCompile(`^[245]\.[0-9]{1,3}\.[0-9]{1,3}\b`)

// smtpReply reports whether a reply to FEAT came from a mail server.
func smtpReply(r Reply) bool {
	return enhanced.MatchString(r.Lines[0]) || looksSMTP(r.Text())
}

// HasAuthTLS reports whether a FEAT reply offers AUTH TLS.
func HasAuthTLS(feat Reply) bool {
	for _, l := range feat.Lines[1:] {
		f := strings.Fields(strings.ToUpper(l))
		if len(f) >= 2 && f[0] == "AUTH" && strings.Contains(f[1], "TLS") {
			return true
		}
	}
	return false
}

// ParseFeatures reads a FEAT reply and returns the features it lists.
func ParseFeatures(b []byte) ([]string, error) {
	r, err := parseReply(b)
	if err != nil || r.Code != 211 {
		return nil, fingerprint.ErrNoMatch
	}
	var out []string
	lines := r.Lines[1:]
	if len(lines) > 0 {
		lines = lines[:len(lines)-1] // "211 End"
	}
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out, nil
}

func joinInfo(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

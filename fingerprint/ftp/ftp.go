// Package ftp recognises FTP servers (RFC 959) by their greeting, confirms
// a greeting that names no FTP server with FEAT (RFC 2389), and upgrades
// the session with AUTH TLS (RFC 4217) where the server offers it.
package ftp

import (
	"context"
	"regexp"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/internal/banner"
	"github.com/ajarsec/ajar/fingerprint/internal/reply"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
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

// Reply is one FTP reply (RFC 959 section 4.2): a three-digit code and
// the text of its lines. A multi-line reply starts "211-" and ends with a
// line "211 "; the lines between may say anything.
type Reply = reply.Reply

func (plugin) Identify(ctx context.Context, c *fingerprint.Conn) (*record.Service, error) {
	// A multi-line greeting may still be arriving: read the rest of it.
	greet, err := reply.Complete(c, c.Banner(), replyMax)
	if err != nil {
		return nil, fingerprint.ErrNoMatch
	}
	g, err := parseGreeting(greet)
	if err != nil {
		return nil, fingerprint.ErrNoMatch
	}
	svc := g.svc
	feat, ferr := reply.Exchange(c, "FEAT\r\n", replyMax)
	confirmed := ferr == nil && Confirms("FEAT", feat)
	switch {
	case confirmed:
		svc.Confidence = 10
	case ferr == nil && smtpReply(feat):
		return nil, fingerprint.ErrNoMatch
	case g.generic && ferr == nil:
		// A greeting that names no FTP server, and no FEAT: only an
		// FTP server answers SYST with 215 or USER with 331 or 230.
		if !confirm(c, "SYST", "USER anonymous") {
			return nil, fingerprint.ErrNoMatch
		}
		svc.Confidence = 7
	case g.generic:
		return nil, fingerprint.ErrNoMatch
	}
	if ferr == nil && feat.Code == 211 && c.TLS() == nil && HasAuthTLS(feat) {
		if err := reply.StartTLS(ctx, c, "AUTH TLS", 234, replyMax); err != nil {
			svc.ExtraInfo = banner.JoinInfo(svc.ExtraInfo, "AUTH TLS failed")
		}
	}
	return svc, nil
}

// confirm sends each command in turn until one is answered as only an
// FTP server answers it.
func confirm(c *fingerprint.Conn, cmds ...string) bool {
	for _, cmd := range cmds {
		r, err := reply.Exchange(c, cmd+"\r\n", replyMax)
		if err != nil {
			return false
		}
		if Confirms(strings.Fields(cmd)[0], r) {
			return true
		}
	}
	return false
}

// Confirms reports whether r is an answer to cmd (FEAT, SYST or USER)
// that only an FTP server gives: a 211 feature list (RFC 2389) that no
// mail server wrote, 215 with a system type (RFC 959), or 331 / 230 to a
// user name. Mail and news servers answer each with 500 or 502.
func Confirms(cmd string, r Reply) bool {
	switch strings.ToUpper(cmd) {
	case "FEAT":
		return r.Code == 211 && !smtpReply(r)
	case "SYST":
		return r.Code == 215 && !smtpReply(r)
	case "USER":
		return (r.Code == 331 || r.Code == 230) && !smtpReply(r)
	}
	return false
}

// Parse reads an FTP server's greeting: a 220 reply that does not look
// like an SMTP server's, or a 120 or 421 reply that names FTP.
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
	// generic is true when nothing in the greeting says FTP: a mail
	// server could have said it too.
	generic bool
}

func parseGreeting(banner []byte) (greeting, error) {
	r, err := reply.Parse(banner)
	if err != nil {
		return greeting{}, err
	}
	text := r.Text()
	ftpish, smtpish := looksFTP(text), looksSMTP(text)
	switch {
	case r.Code != 220 && !(ftpish && (r.Code == 120 || r.Code == 421)):
		return greeting{}, reply.ErrNotReply
	case smtpish && !ftpish:
		return greeting{}, reply.ErrNotReply
	}
	svc := &record.Service{Name: "ftp", Confidence: 8}
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
var products = banner.Products{
	banner.Pattern(`\(vsFTPd ([0-9][\w.]*)\)`, "vsftpd", "beasts", "vsftpd"),
	banner.Pattern(`ProFTPD(?: ([0-9][\w.]*))?`, "ProFTPD", "proftpd", "proftpd"),
	banner.Pattern(`Pure-FTPd`, "Pure-FTPd", "pureftpd", "pure-ftpd"),
	banner.Pattern(`FileZilla Server(?: version)? ([0-9][\w.]*)`, "FileZilla ftpd", "filezilla-project", "filezilla_server"),
	banner.Pattern(`FileZilla Server`, "FileZilla ftpd", "filezilla-project", "filezilla_server"),
	banner.Pattern(`Version wu-([0-9][\w.]*)`, "WU-FTPD", "washington_university", "wu-ftpd"),
	banner.Pattern(`Serv-U FTP Server v([0-9][\w.]*)`, "Serv-U ftpd", "", ""),
	banner.Pattern(`Microsoft FTP Service`, "Microsoft ftpd", "", ""),
	banner.Pattern(`pyftpdlib ([0-9][\w.]*)`, "pyftpdlib", "", ""),
}

func product(svc *record.Service, text string) {
	if products.Apply(svc, text) {
		svc.Confidence = max(svc.Confidence, 8)
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
	r, err := reply.Parse(b)
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

package noauth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

type ftpCheck struct{}

func (ftpCheck) Info() audit.Info {
	return audit.Info{Name: "ftp-anonymous", Services: []string{"ftp"}, Proto: portspec.TCP}
}

// The anonymous login of RFC 1635: the user "anonymous", an e-mail
// address for a password. It is the protocol's convention for public
// access, not a guess: no other user or password is ever tried.
var (
	ftpUser = []byte("USER anonymous\r\n")
	ftpPass = []byte("PASS ajar@example.invalid\r\n")
)

func (ftpCheck) Run(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	c, err := t.Dial(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	greeting, err := ftpReply(c, nil)
	if err != nil {
		return nil, fmt.Errorf("greeting: %w", err)
	}
	var clear []record.Finding
	if t.Service.Tunnel != "ssl" && bytes.HasPrefix(greeting, []byte("220")) {
		feat, err := ftpReply(c, []byte("FEAT\r\n"))
		if err != nil {
			return nil, fmt.Errorf("FEAT: %w", err)
		}
		clear = JudgeFTPTLS(feat)
	}
	user, err := ftpReply(c, ftpUser)
	if err != nil {
		return nil, fmt.Errorf("USER: %w", err)
	}
	var pass []byte
	if bytes.HasPrefix(user, []byte("331")) {
		if pass, err = ftpReply(c, ftpPass); err != nil {
			return nil, fmt.Errorf("PASS: %w", err)
		}
	}
	c.Write([]byte("QUIT\r\n"))
	fs, err := JudgeFTP(greeting, user, pass)
	if errors.Is(err, audit.ErrNotApplicable) && len(clear) > 0 {
		return clear, nil
	}
	return append(fs, clear...), err
}

// JudgeFTPTLS judges a server's answer to FEAT (RFC 2389) on a cleartext
// connection: no "AUTH TLS" (RFC 4217) among its features means every
// login, password and file crosses the network in clear.
func JudgeFTPTLS(feat []byte) []record.Finding {
	for _, line := range bytes.Split(feat, []byte("\n")) {
		f := bytes.ToUpper(bytes.TrimSpace(line))
		if bytes.HasPrefix(f, []byte("AUTH ")) && (bytes.Contains(f, []byte("TLS")) || bytes.Contains(f, []byte("SSL"))) {
			return nil
		}
	}
	conf := record.Confirmed
	if !bytes.HasPrefix(feat, []byte("211")) {
		conf = record.Likely // no FEAT: a server too old to say, and too old for TLS
	}
	return []record.Finding{{
		ID: "ftp-cleartext", Category: record.Cleartext, Severity: record.Medium,
		Title:    "FTP server offers no TLS: logins and files cross the network in clear",
		Evidence: "FEAT: " + audit.Evidence(bytes.TrimSpace(feat)),
		Remediation: "offer and require TLS: `ssl_enable=YES` with `force_local_logins_ssl=YES` and " +
			"`force_local_data_ssl=YES` (vsftpd), `TLSEngine on` with `TLSRequired on` (ProFTPD); or replace FTP with SFTP",
		References: []string{"RFC 4217", "CWE-319"},
		Confidence: conf,
	}}
}

// ftpReply sends req (none when nil) and reads one whole reply,
// multi-line replies (RFC 959 4.2: "123-" ... "123 ") included.
func ftpReply(c net.Conn, req []byte) ([]byte, error) {
	if req != nil {
		if _, err := c.Write(req); err != nil {
			return nil, err
		}
	}
	b, err := audit.ReadUntil(c, ftpWhole, replyMax)
	if err != nil && !ftpWhole(b) {
		return b, err
	}
	return b, nil
}

// ftpWhole reports whether b holds a whole FTP reply: its last line is
// "NNN " with the first line's code.
func ftpWhole(b []byte) bool {
	if len(b) < 4 || !bytes.HasSuffix(b, []byte("\n")) {
		return false
	}
	if b[3] != '-' {
		return true
	}
	lines := bytes.Split(bytes.TrimRight(b, "\r\n"), []byte("\n"))
	last := lines[len(lines)-1]
	return len(last) >= 4 && bytes.Equal(last[:3], b[:3]) && last[3] == ' '
}

// JudgeFTP judges an anonymous login: a 230 to USER anonymous (no
// password asked) or to its PASS means anyone may log in and read what
// the server offers. A server that does not greet with 220, or refuses
// the login (530), is not applicable.
func JudgeFTP(greeting, user, pass []byte) ([]record.Finding, error) {
	if !bytes.HasPrefix(greeting, []byte("220")) {
		return nil, audit.ErrNotApplicable
	}
	var ok []byte
	switch {
	case bytes.HasPrefix(user, []byte("230")):
		ok = user
	case bytes.HasPrefix(user, []byte("331")) && bytes.HasPrefix(pass, []byte("230")):
		ok = pass
	default:
		return nil, audit.ErrNotApplicable
	}
	return []record.Finding{{
		ID: "ftp-anonymous", Category: record.NoAuth, Severity: record.Medium,
		Title:    "FTP server lets anyone log in as anonymous",
		Evidence: "USER anonymous: " + audit.Evidence(firstLine(user)) + "; then " + audit.Evidence(firstLine(ok)),
		Remediation: "turn anonymous logins off unless the server is a public archive: `anonymous_enable=NO` (vsftpd), " +
			"`<Anonymous>` removed (ProFTPD), `NoAnonymous yes` (Pure-FTPd)",
		References: []string{"CWE-284", "RFC 1635"},
		Confidence: record.Confirmed,
	}}, nil
}

func firstLine(b []byte) []byte {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	return bytes.TrimRight(line, "\r")
}

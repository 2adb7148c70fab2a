package tlsaudit

import (
	"bytes"
	"errors"
	"fmt"
	"net"

	"github.com/ajarsec/ajar/audit"
)

// errNoUpgrade: the service's STARTTLS dialogue is not one tlsaudit
// speaks; only the certificate identification saw is judged.
var errNoUpgrade = errors.New("tlsaudit: STARTTLS dialogue not spoken")

// maxReply bounds one reply of a STARTTLS dialogue.
const maxReply = 8 << 10

// upgrade is one protocol's way into TLS: the greeting to wait for, the
// commands to send, each with the reply to wait for, the last of which
// must say yes.
type upgrade struct {
	steps []step
}

type step struct {
	send string // "" for the greeting
	done func([]byte) bool
	ok   func([]byte) bool
}

// codeReply: a reply of numbered lines (FTP, SMTP, NNTP) is whole when
// its last line has a space after the code.
func codeReply(b []byte) bool {
	lines := bytes.Split(b, []byte("\n"))
	if len(lines) < 2 {
		return false
	}
	last := lines[len(lines)-2] // the last whole line
	return len(last) >= 4 && last[3] == ' '
}

func codeIs(code string) func([]byte) bool {
	return func(b []byte) bool {
		lines := bytes.Split(bytes.TrimRight(b, "\r\n"), []byte("\n"))
		return bytes.HasPrefix(lines[len(lines)-1], []byte(code))
	}
}

func prefixIs(p string) func([]byte) bool {
	return func(b []byte) bool { return bytes.HasPrefix(b, []byte(p)) }
}

func anyReply([]byte) bool { return true }

// upgrades are the STARTTLS dialogues spoken, by the service's name and
// the command identification recorded.
var upgrades = map[[2]string]upgrade{
	{"ftp", "AUTH TLS"}: {[]step{{"", codeReply, codeIs("220")}, {"AUTH TLS\r\n", codeReply, codeIs("234")}}},
	{"smtp", "STARTTLS"}: {[]step{{"", codeReply, codeIs("220")}, {"EHLO ajar.invalid\r\n", codeReply, codeIs("250")},
		{"STARTTLS\r\n", codeReply, codeIs("220")}}},
	{"imap", "STARTTLS"}: {[]step{{"", audit.UntilLine, prefixIs("* OK")},
		{"a1 STARTTLS\r\n", audit.UntilContains("a1 "), func(b []byte) bool { return bytes.Contains(b, []byte("a1 OK")) }}}},
	{"pop3", "STLS"}:     {[]step{{"", audit.UntilLine, prefixIs("+OK")}, {"STLS\r\n", audit.UntilLine, prefixIs("+OK")}}},
	{"nntp", "STARTTLS"}: {[]step{{"", codeReply, anyReply}, {"STARTTLS\r\n", codeReply, codeIs("382")}}},
}

// startTLS speaks service's STARTTLS dialogue (command names it) on c,
// up to where the server waits for a ClientHello.
func startTLS(c net.Conn, service, command string) error {
	u, ok := upgrades[[2]string{service, command}]
	if !ok {
		return fmt.Errorf("%w: %s %s", errNoUpgrade, service, command)
	}
	for _, s := range u.steps {
		if s.send != "" {
			if _, err := c.Write([]byte(s.send)); err != nil {
				return err
			}
		}
		b, err := audit.ReadUntil(c, s.done, maxReply)
		if err != nil {
			return fmt.Errorf("%s: %w", command, err)
		}
		if !s.ok(b) {
			return fmt.Errorf("%s refused: %s", command, audit.Evidence(b))
		}
	}
	return nil
}

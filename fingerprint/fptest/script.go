package fptest

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ajarsec/ajar/fingerprint"
)

// Lines plays a line-based text server (FTP, SMTP, POP3, IMAP, NNTP): it
// sends Greeting, then answers each command line from Replies.
type Lines struct {
	// Greeting is sent in parts, with a pause between them, as a
	// server that stops mid-greeting.
	Greeting []string
	// Replies answers commands by their key.
	Replies map[string]string
	// Unknown answers a command Replies does not hold.
	Unknown string
	// Key gives a command's key in Replies; nil means the whole command
	// (without spaces at its ends, or its tag).
	Key func(cmd string) string
	// Tagged says that each command starts with a tag (IMAP): the tag
	// is not part of the key, and "TAG" in an answer stands for it.
	Tagged bool
	// StartTLS is the key of the command after whose answer the server
	// runs a TLS handshake with TLS, when TLS is set.
	StartTLS string
	TLS      *tls.Config
}

// Handle plays the server on c: a handler for Serve.
func (s Lines) Handle(c net.Conn) {
	for i, g := range s.Greeting {
		if i > 0 {
			time.Sleep(150 * time.Millisecond) // a server pausing mid-greeting
		}
		c.Write([]byte(g))
	}
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd, tag := strings.TrimSpace(line), ""
		if s.Tagged {
			tag, cmd, _ = strings.Cut(cmd, " ")
		}
		key := cmd
		if s.Key != nil {
			key = s.Key(cmd)
		}
		ans, ok := s.Replies[key]
		if !ok {
			ans = s.Unknown
		}
		if s.Tagged {
			ans = strings.ReplaceAll(ans, "TAG", tag)
		}
		c.Write([]byte(ans))
		if s.TLS != nil && s.StartTLS != "" && key == s.StartTLS {
			ServeTLS(c, s.TLS)
			return
		}
	}
}

// HangUp starts a server that says nothing and closes the connection
// once the client has sent something.
func HangUp(t testing.TB) netip.AddrPort {
	t.Helper()
	return Serve(t, func(c net.Conn) { c.Read(make([]byte, 10)) })
}

// Silent starts a server that says nothing and reads what the client
// sends until it closes.
func Silent(t testing.TB) netip.AddrPort {
	t.Helper()
	return Serve(t, func(c net.Conn) { io.Copy(io.Discard, c) })
}

// NoMatch fails the test for each input that parse does not reject with
// fingerprint.ErrNoMatch; name is parse's name in the message.
func NoMatch[T any](t testing.TB, name string, parse func([]byte) (T, error), inputs ...string) {
	t.Helper()
	for _, in := range inputs {
		if got, err := parse([]byte(in)); !errors.Is(err, fingerprint.ErrNoMatch) {
			t.Errorf("%s(%q) = %+v, %v; want ErrNoMatch", name, in, got, err)
		}
	}
}

// CheckParse runs parse on b, as a fuzz test does, and fails the test
// unless parse returns a result or an error, never both or neither.
func CheckParse[T any](t testing.TB, name string, parse func([]byte) (*T, error), b []byte) *T {
	t.Helper()
	got, err := parse(b)
	if (got == nil) == (err == nil) {
		t.Fatalf("%s: result %v with error %v", name, got, err)
	}
	return got
}

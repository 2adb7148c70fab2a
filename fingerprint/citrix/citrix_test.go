package citrix

import (
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

func TestGreeting(t *testing.T) {
	for _, b := range []string{Magic, Magic + Magic, Magic + Magic[:3]} {
		if !Greeting([]byte(b)) {
			t.Errorf("Greeting(%q) = false", b)
		}
	}
	for _, b := range []string{"", Magic[:5], "\x7f\x7fICB\x00", Magic + "hello", "SSH-2.0-x\r\n"} {
		if Greeting([]byte(b)) {
			t.Errorf("Greeting(%q) = true", b)
		}
	}
}

func FuzzGreeting(f *testing.F) {
	f.Add([]byte(Magic + Magic))
	f.Fuzz(func(t *testing.T, b []byte) {
		if Greeting(b) && !strings.HasPrefix(string(b), Magic) {
			t.Errorf("Greeting(%q) without the magic", b)
		}
	})
}

func TestIdentifyLive(t *testing.T) {
	ica := func(c net.Conn) { c.Write([]byte(Magic)); io.Copy(io.Discard, c) }
	if svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, ica)); svc.Product != "Citrix ICA" {
		t.Errorf("got %+v", svc)
	}
	// A server that says the magic once, to the first connection only.
	var conns atomic.Int32
	fickle := func(c net.Conn) {
		if conns.Add(1) == 1 {
			c.Write([]byte(Magic))
		} else {
			c.Write([]byte("hello\r\n"))
		}
		io.Copy(io.Discard, c)
	}
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, fickle))
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, func(c net.Conn) { c.Write([]byte("hello\r\n")); io.Copy(io.Discard, c) }))
}

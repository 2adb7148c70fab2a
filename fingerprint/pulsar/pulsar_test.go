package pulsar

import (
	"encoding/binary"
	"io"
	"net"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// Frames laid out as Pulsar's binary protocol spec and PulsarApi.proto
// define them: CONNECTED of a 3.1.2 broker (server_version "Pulsar
// Server3.1.2", protocol 21, max_message_size 5 MiB + 10 KiB), and the
// ERROR (AuthenticationError, 3) of a broker that wants credentials.
const (
	connected312 = "\x00\x00\x00#\x00\x00\x00\x1f\x08\x03\x1a\x1b\n\x12Pulsar Server3.1.2\x10\x15\x18\x80\xd0\xc0\x02"
	authError    = "\x00\x00\x00&\x00\x00\x00\"\x08\x0er\x1e\x08\x00\x10\x03\x1a\x18Failed to authentication"
)

var others = []string{
	"",
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\n\r\n",
	"\x15\x03\x01\x00\x02\x02\x50",
	connected312[:20],
	connected312 + "\x00",
	"\x00\x00\x00\x06\x00\x00\x00\x02\x08\x03",                            // CONNECTED without its command
	"\x00\x00\x00\x08\x00\x00\x00\x04\x08\x12\x92\x01",                    // PING, cut short
	"\x00\x00\x00\x0a\x00\x00\x00\x06\x08\x0e\x72\x02\x08\x00",            // ERROR without code
	"\x00\x00\x00\x0a\x00\x00\x00\x06\x08\x03\x1a\x02\x0d\x00",            // a fixed32 field
	"\x00\x00\x00\x0c\x00\x00\x00\x07\x08\x03\x1a\x03\x0a\x05abc\x00\x00", // sizes disagree
	string(Connect()),                                                     // an echo
}

func TestParse(t *testing.T) {
	svc, err := Parse([]byte(connected312))
	if err != nil || svc.Product != "Apache Pulsar" || svc.Version != "3.1.2" ||
		svc.ExtraInfo != "server Pulsar Server3.1.2; protocol 21" ||
		svc.CPE[0] != "cpe:2.3:a:apache:pulsar:3.1.2:*:*:*:*:*:*:*" {
		t.Errorf("connected: %+v, %v", svc, err)
	}
	if svc, err = Parse([]byte(authError)); err != nil || svc.ExtraInfo != "error 3: Failed to authentication" {
		t.Errorf("error: %+v, %v", svc, err)
	}
	fptest.NoMatch(t, "Parse", Parse, others...)
}

func TestConnect(t *testing.T) {
	want := "\x00\x00\x00\x12\x00\x00\x00\x0e\x08\x02\x12\x0a\x0a\x06ajar/1\x20\x0c"
	if got := string(Connect()); got != want {
		t.Errorf("Connect() = %q, want %q", got, want)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range append([]string{connected312, authError}, others...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
		frameDone(b)
	})
}

func server(c net.Conn) {
	h := make([]byte, 4)
	if _, err := io.ReadFull(c, h); err != nil {
		return
	}
	if _, err := io.ReadFull(c, make([]byte, binary.BigEndian.Uint32(h))); err != nil {
		return
	}
	c.Write([]byte(connected312[:6]))
	c.Write([]byte(connected312[6:]))
	io.Copy(io.Discard, c)
}

func TestIdentifyLive(t *testing.T) {
	svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, server))
	if svc.Version != "3.1.2" {
		t.Errorf("got %+v", svc)
	}
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, fptest.Reply([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"), 8)))
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, func(c net.Conn) { io.Copy(c, c) }))
	fptest.MustNotMatch(t, plugin{}, fptest.Silent(t))
}

package zmtp

import (
	"io"
	"net"
	"strings"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// libzmq434 is what a ROUTER socket of libzmq 4.3.4 (Debian 12, bound
// with pyzmq) sent on loopback: its signature at once, then, after our
// greeting, the rest of its greeting (ZMTP 3.1, NULL) and READY.
const (
	libzmqSignature = "\xff\x00\x00\x00\x00\x00\x00\x00\x01\x7f"
	libzmqRest      = "\x03\x01NULL" + zeros48 +
		"\x04)\x05READY\x0bSocket-Type\x00\x00\x00\x06ROUTER\x08Identity\x00\x00\x00\x00"
	// zeros48 are the mechanism's padding, as-server and filler.
	zeros48 = "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
		"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	libzmq434 = libzmqSignature + libzmqRest
)

// curve is a greeting with the CURVE mechanism, as server.
var curve = libzmqSignature + "\x03\x00CURVE" + strings.Repeat("\x00", 15) + "\x01" + strings.Repeat("\x00", 31)

var others = []string{
	"",
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\n\r\n",
	"\x15\x03\x01\x00\x02\x02\x50",
	libzmqSignature,           // the signature alone
	libzmq434[:greetingLen-1], // a greeting cut short
	strings.Replace(libzmq434, "NULL", "NOPE", 1),
	strings.Replace(libzmq434, "\x03\x01NULL", "\x02\x01NULL", 1), // ZMTP 2 has no mechanism
	strings.Replace(libzmq434, "\x7f\x03", "\x7e\x03", 1),
	strings.Replace(libzmq434, "NULL\x00\x00", "NULL\x00x", 1), // padding not zero
	strings.Repeat("\x00", 64),
	string(Greeting()), // an echo of ours
}

func TestParse(t *testing.T) {
	for in, want := range map[string]string{
		libzmq434:                  "ZMTP 3.1; NULL security; socket ROUTER",
		libzmq434[:greetingLen]:    "ZMTP 3.1; NULL security",
		libzmq434[:greetingLen+20]: "ZMTP 3.1; NULL security",
		curve:                      "ZMTP 3.0; CURVE security",
	} {
		svc, err := Parse([]byte(in))
		if err != nil || svc.Name != "zmtp" || svc.Product != "ZeroMQ" || svc.ExtraInfo != want {
			t.Errorf("Parse(%q) = %+v, %v; want %q", in, svc, err, want)
		}
	}
	fptest.NoMatch(t, "Parse", Parse, others...)
	if !answerDone([]byte(libzmq434)) || answerDone([]byte(libzmq434[:len(libzmq434)-1])) || !answerDone([]byte(curve)) {
		t.Error("answerDone does not see where the answer ends")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range append([]string{libzmq434, curve}, others...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
		answerDone(b)
	})
}

// peer plays libzmq: the signature at once, the rest once the client's
// greeting has come.
func peer(c net.Conn) {
	c.Write([]byte(libzmqSignature))
	if _, err := io.ReadFull(c, make([]byte, greetingLen)); err != nil {
		return
	}
	c.Write([]byte(libzmqRest[:30]))
	c.Write([]byte(libzmqRest[30:]))
	io.Copy(io.Discard, c)
}

func TestIdentifyLive(t *testing.T) {
	svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, peer))
	if svc.ExtraInfo != "ZMTP 3.1; NULL security; socket ROUTER" {
		t.Errorf("got %+v", svc)
	}
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, fptest.Reply([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"), 8)))
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, func(c net.Conn) { io.Copy(c, c) }))
	fptest.MustNotMatch(t, plugin{}, fptest.Silent(t))
}

package stomp

import (
	"bufio"
	"net"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// What ActiveMQ 5.17.2 (Debian 12's activemq package, stomp connector on
// loopback) answered to Connect, and to a CONNECT with a version it does
// not know (stack trace cut here).
const (
	activemqConnected = "CONNECTED\nserver:ActiveMQ/5.17.2\nheart-beat:0,0\nsession:ID:vm-33451-1796456404537-3:1\nversion:1.2\n\n\x00\n"
	activemqError     = "ERROR\ncontent-type:text/plain\nmessage:Invalid Protocol version[9.9], supported versions are: [1.2, 1.1, 1.0]\n\n" +
		"org.apache.activemq.transport.stomp.ProtocolException: Invalid Protocol version[9.9], supported versions are: [1.2, 1.1, 1.0]\n" +
		"\tat org.apache.activemq.transport.stomp.StompCodec.detectVersion(StompCodec.java:151)\n\x00\n"
	// rabbitRefused is RabbitMQ's answer when the default login is
	// refused, as its STOMP plugin documents it.
	rabbitRefused = "ERROR\r\nmessage:Access refused\r\ncontent-type:text/plain\r\nversion:1.0,1.1,1.2\r\ncontent-length:31\r\n\r\n" +
		"Login or passcode is incorrect.\x00"
)

var others = []string{
	"",
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\n\r\n\x00",
	"\x15\x03\x01\x00\x02\x02\x50",
	activemqConnected[:40],
	"CONNECTED\n\n\x00",                                // no header of STOMP's
	"ERROR\ncontent-type:text/plain\n\nno message\x00", // no message header
	"MESSAGE\ndestination:/queue/a\n\nhello\x00",
	"CONNECTED\nversion 1.2\n\n\x00", // not a header
	"CONNECTED\nversion:1.2\n\n\x00garbage",
	"-ERR unknown command 'CONNECT'\r\n",
	string(Connect("127.0.0.1")), // an echo
}

func TestParse(t *testing.T) {
	tests := []struct{ in, product, version, extra string }{
		{activemqConnected, "ActiveMQ", "5.17.2", "STOMP 1.2"},
		{activemqError, "", "", "error: Invalid Protocol version[9.9], supported versions are: [1.2, 1.1, 1.0]"},
		{rabbitRefused, "", "", "error: Access refused"},
		{"CONNECTED\r\nversion:1.2\r\nserver:RabbitMQ/3.10.8\r\nsession:session-x\r\nheart-beat:0,0\r\n\r\n\x00",
			"RabbitMQ", "3.10.8", "STOMP 1.2"},
	}
	for _, tt := range tests {
		svc, err := Parse([]byte(tt.in))
		if err != nil || svc.Name != "stomp" || svc.Product != tt.product || svc.Version != tt.version || svc.ExtraInfo != tt.extra {
			t.Errorf("Parse(%q) = %+v, %v", tt.in, svc, err)
		}
	}
	if svc, _ := Parse([]byte(activemqConnected)); len(svc.CPE) != 1 || svc.CPE[0] != "cpe:2.3:a:apache:activemq:5.17.2:*:*:*:*:*:*:*" {
		t.Errorf("CPE: %+v", svc)
	}
	fptest.NoMatch(t, "Parse", Parse, others...)
}

func FuzzParse(f *testing.F) {
	for _, s := range append([]string{activemqConnected, activemqError, rabbitRefused}, others...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { fptest.CheckParse(t, "Parse", Parse, b) })
}

// broker reads a frame to its NUL and answers CONNECTED in two pieces.
func broker(c net.Conn) {
	r := bufio.NewReader(c)
	if _, err := r.ReadString(0); err != nil {
		return
	}
	c.Write([]byte(activemqConnected[:20]))
	c.Write([]byte(activemqConnected[20:]))
	r.ReadString(0)
}

func TestIdentifyLive(t *testing.T) {
	svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, broker))
	if svc.Product != "ActiveMQ" || svc.Version != "5.17.2" {
		t.Errorf("got %+v", svc)
	}
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, fptest.Reply([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"), 8)))
	fptest.MustNotMatch(t, plugin{}, fptest.Silent(t))
}

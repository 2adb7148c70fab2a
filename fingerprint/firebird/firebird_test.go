package firebird

import (
	"io"
	"net"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// Answers of Firebird 3.0.11 (Debian 12's firebird3.0-server, on
// loopback in a namespace): to Connect, op_cond_accept of protocol 15
// (0x800f, sent sign-extended) with the Srp plugin; to protocols 10 to
// 12 only, op_reject.
const (
	fb3CondAccept = "\x00\x00\x00b\xff\xff\x80\x0f\x00\x00\x00\x01\x00\x00\x00\x05" +
		"\x00\x00\x00\x00\x00\x00\x00\x03Srp\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	fb3Reject = "\x00\x00\x00\x04"
	// accept12 is op_accept of protocol 12 (Firebird 2.5), as
	// protocol.h lays it out.
	accept12 = "\x00\x00\x00\x03\x00\x00\x80\x0c\x00\x00\x00\x01\x00\x00\x00\x05"
)

var others = []string{
	"",
	fb3Reject,
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\n\r\n",
	"\x15\x03\x01\x00\x02\x02\x50",
	fb3CondAccept[:30],
	fb3CondAccept + "\x00\x00\x00\x00",                                                 // trailing bytes
	"\x00\x00\x00\x5c\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", // op_cont_auth: no version
	"\x00\x00\x00\x03\x00\x00\x80\x20\x00\x00\x00\x01\x00\x00\x00\x05",                 // a protocol never offered
	"\x00\x00\x00\x03\x00\x00\x80\x0c\x00\x00\x00\x01\x00\x00\x00\x09",                 // no such packet type
	"\x00\x00\x00\x09\x00\x00\x80\x0c\x00\x00\x00\x01\x00\x00\x00\x05",                 // op_response
	string(Connect()), // an echo
}

func TestParse(t *testing.T) {
	tests := []struct{ in, product, extra string }{
		{fb3CondAccept, "Firebird", "wire protocol 15; auth Srp"},
		{accept12, "Firebird", "wire protocol 12"},
		{"\x00\x00\x00\x03\x00\x00\x00\x0a\x00\x00\x00\x01\x00\x00\x00\x02", "", "wire protocol 10"},
	}
	for _, tt := range tests {
		svc, err := Parse([]byte(tt.in))
		if err != nil || svc.Name != "firebird" || svc.Product != tt.product || svc.ExtraInfo != tt.extra {
			t.Errorf("Parse(%q) = %+v, %v", tt.in, svc, err)
		}
		if !answerDone([]byte(tt.in)) || answerDone([]byte(tt.in[:len(tt.in)-1])) {
			t.Errorf("answerDone(%q) does not see where the answer ends", tt.in)
		}
	}
	fptest.NoMatch(t, "Parse", Parse, others...)
}

func FuzzParse(f *testing.F) {
	for _, s := range append([]string{fb3CondAccept, accept12}, others...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
		answerDone(b)
	})
}

// server reads op_connect and answers as Firebird 3 does, in two pieces.
func server(c net.Conn) {
	if _, err := io.ReadFull(c, make([]byte, len(Connect()))); err != nil {
		return
	}
	c.Write([]byte(fb3CondAccept[:10]))
	c.Write([]byte(fb3CondAccept[10:]))
	io.Copy(io.Discard, c)
}

func TestIdentifyLive(t *testing.T) {
	svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, server))
	if svc.Product != "Firebird" || svc.ExtraInfo != "wire protocol 15; auth Srp" {
		t.Errorf("got %+v", svc)
	}
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, fptest.Reply([]byte(fb3Reject), 8)))
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, func(c net.Conn) { io.Copy(c, c) }))
	fptest.MustNotMatch(t, plugin{}, fptest.Silent(t))
}

package epmd

import (
	"encoding/binary"
	"io"
	"net"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/record"
)

// What epmd of Erlang/OTP 25 (Debian 12's erlang-base, on loopback in a
// namespace, port 4369 = 0x1111) answered to NamesReq, with one node
// registered and with none.
const (
	oneNode = "\x00\x00\x11\x11name ajarnode at port 43807\n"
	noNodes = "\x00\x00\x11\x11"
)

var others = []string{
	"",
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\n\r\n",
	"\x15\x03\x01\x00\x02\x02\x50",
	"\x00\x00\x11",
	oneNode[:20],
	"\x00\x00\x11\x11name ajarnode at port x\n",
	"\x00\x00\x11\x11hello world\n",
	"\x00\x00\x00\x00name a at port 1\n", // port 0
	"\x00\x00\x22\x22",                   // no nodes, another port
	NamesReq,
}

func parse4369(b []byte) (*record.Service, error) { return Parse(b, 4369) }

func TestParse(t *testing.T) {
	svc, err := Parse([]byte(oneNode), 4369)
	if err != nil || svc.ExtraInfo != "nodes: ajarnode:43807" || svc.Confidence != 10 ||
		svc.CPE[0] != `cpe:2.3:a:erlang:erlang\/otp:*:*:*:*:*:*:*:*` {
		t.Errorf("one node: %+v, %v", svc, err)
	}
	if svc, err = Parse([]byte(noNodes), 4369); err != nil || svc.ExtraInfo != "no nodes" {
		t.Errorf("no nodes: %+v, %v", svc, err)
	}
	fptest.NoMatch(t, "Parse", parse4369, others...)
}

func FuzzParse(f *testing.F) {
	for _, s := range append([]string{oneNode, noNodes}, others...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { fptest.CheckParse(t, "Parse", parse4369, b) })
}

// server answers NAMES_REQ with its own port and one node, then closes.
func server(c net.Conn) {
	b := make([]byte, 3)
	if _, err := io.ReadFull(c, b); err != nil || string(b) != NamesReq {
		return
	}
	port := binary.BigEndian.AppendUint32(nil, uint32(c.LocalAddr().(*net.TCPAddr).Port))
	c.Write(port)
	c.Write([]byte(oneNode[4:]))
}

func TestIdentifyLive(t *testing.T) {
	svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, server))
	if svc.ExtraInfo != "nodes: ajarnode:43807" {
		t.Errorf("got %+v", svc)
	}
	empty := fptest.Serve(t, func(c net.Conn) {
		if _, err := io.ReadFull(c, make([]byte, 3)); err == nil {
			c.Write(binary.BigEndian.AppendUint32(nil, uint32(c.LocalAddr().(*net.TCPAddr).Port)))
		}
	})
	if svc := fptest.MustMatch(t, plugin{}, empty); svc.ExtraInfo != "no nodes" {
		t.Errorf("got %+v", svc)
	}
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, fptest.Reply([]byte("\x00\x00\x11\x11"), 3)))
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, func(c net.Conn) { io.Copy(c, c) }))
}

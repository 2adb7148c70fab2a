package riak

import (
	"io"
	"net"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// riak223 is RpbGetServerInfoResp from a Riak KV 2.2.3 node, laid out as
// the PBC API documents it (riak_pb's riak.proto): length 0x18, code 8,
// node (field 1) "riak@127.0.0.1", server_version (field 2) "2.2.3".
const riak223 = "\x00\x00\x00\x18\x08\n\x0eriak@127.0.0.1\x12\x052.2.3"

var others = []string{
	"",
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\n\r\n",
	"\x15\x03\x01\x00\x02\x02\x50",
	riak223[:20],
	riak223 + "x",
	"\x00\x00\x00\x01\x08",                    // no version
	"\x00\x00\x00\x08\x08\x1a\x052.2.3",       // an unknown field
	"\x00\x00\x00\x08\x09\x12\x052.2.3",       // another message code
	"\x00\x00\x00\x08\x08\x12\x06x.2.3",       // a version that is not one, and cut short
	"\x00\x00\x00\x0a\x00\x0a\x03bad\x10\x01", // RpbErrorResp
	string(Request()),                         // an echo
}

func TestParse(t *testing.T) {
	svc, err := Parse([]byte(riak223))
	if err != nil || svc.Product != "Riak KV" || svc.Version != "2.2.3" || svc.ExtraInfo != "node riak@127.0.0.1" ||
		svc.CPE[0] != "cpe:2.3:a:basho:riak:2.2.3:*:*:*:*:*:*:*" {
		t.Errorf("got %+v, %v", svc, err)
	}
	fptest.NoMatch(t, "Parse", Parse, others...)
}

func FuzzParse(f *testing.F) {
	for _, s := range append([]string{riak223}, others...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
		messageDone(b)
	})
}

func server(c net.Conn) {
	if _, err := io.ReadFull(c, make([]byte, 5)); err != nil {
		return
	}
	c.Write([]byte(riak223[:3]))
	c.Write([]byte(riak223[3:]))
	io.Copy(io.Discard, c)
}

func TestIdentifyLive(t *testing.T) {
	svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, server))
	if svc.Version != "2.2.3" {
		t.Errorf("got %+v", svc)
	}
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, fptest.Reply([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"), 5)))
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, func(c net.Conn) { io.Copy(c, c) }))
	fptest.MustNotMatch(t, plugin{}, fptest.Silent(t))
}

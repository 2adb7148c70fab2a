package couchbase

import (
	"io"
	"net"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// Answers laid out as Couchbase's BinaryProtocol.md defines them: HELLO
// enabling the four features asked, VERSION of a 7.2.4 server.
const (
	hello   = "\x81\x1f\x00\x00\x00\x00\x00\x00\x00\x00\x00\x08ajar\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00\x06\x00\x07\x00\x0b"
	version = "\x81\x0b\x00\x00\x00\x00\x00\x00\x00\x00\x00\x15ajas\x00\x00\x00\x00\x00\x00\x00\x007.2.4-7070-enterprise"
	// memcached is what memcached 1.6.18 (Debian 12, on loopback in a
	// namespace) answered to Request: HELLO is an unknown command.
	memcached = "\x81\x1f\x00\x00\x00\x00\x00\x81\x00\x00\x00\x0fajar\x00\x00\x00\x00\x00\x00\x00\x00Unknown command"
)

var others = []string{
	"",
	memcached,
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\n\r\n",
	"ERROR\r\n",
	hello[:20],
	"\x81\x1f\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02ajar\x00\x00\x00\x00\x00\x00\x00\x00\x00\x09", // a feature not asked
	"\x81\x1f\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02ajaz\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03", // another opaque
	"\x81\x1f\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01ajar\x00\x00\x00\x00\x00\x00\x00\x00\x00",     // an odd list
	string(Request()), // an echo
}

func TestParse(t *testing.T) {
	svc, err := Parse([]byte(hello + version))
	if err != nil || svc.Product != "Couchbase Server" || svc.Version != "7.2.4" || svc.ExtraInfo != "build 7070-enterprise" ||
		svc.CPE[0] != "cpe:2.3:a:couchbase:couchbase_server:7.2.4:*:*:*:*:*:*:*" {
		t.Errorf("got %+v, %v", svc, err)
	}
	if svc, err := Parse([]byte(hello)); err != nil || svc.Version != "" {
		t.Errorf("HELLO alone: %+v, %v", svc, err)
	}
	if !answerDone([]byte(hello+version)) || answerDone([]byte(hello+version[:30])) || !answerDone([]byte(memcached)) {
		t.Error("answerDone does not see where the answer ends")
	}
	fptest.NoMatch(t, "Parse", Parse, others...)
}

func FuzzParse(f *testing.F) {
	for _, s := range append([]string{hello + version, hello}, others...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
		answerDone(b)
	})
}

func server(c net.Conn) {
	if _, err := io.ReadFull(c, make([]byte, len(Request()))); err != nil {
		return
	}
	c.Write([]byte(hello))
	c.Write([]byte(version))
	io.Copy(io.Discard, c)
}

func TestIdentifyLive(t *testing.T) {
	svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, server))
	if svc.Version != "7.2.4" {
		t.Errorf("got %+v", svc)
	}
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, fptest.Reply([]byte(memcached), 8)))
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, func(c net.Conn) { io.Copy(c, c) }))
	fptest.MustNotMatch(t, plugin{}, fptest.Silent(t))
}

package mdns

import (
	"bytes"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// qname is the service enumeration name as labels.
const qname = "\x09_services\x07_dns-sd\x04_udp\x05local\x00"

// answer is a legacy unicast answer (RFC 6762 §6.7) written out by hand:
// our ID, QR and AA, the question repeated, two PTR answers whose owner
// points back at the question (offset 12) and whose targets are
// _http._tcp.local (compressed onto the question's "local" at 35) and
// _ssh._tcp.local (compressed onto the first's "_tcp" at 64). Avahi 0.8
// (Debian 12) with those two services sent these very bytes, captured in
// a test namespace.
const answer = "\x61\x6a\x84\x00\x00\x01\x00\x02\x00\x00\x00\x00" +
	qname + "\x00\x0c\x00\x01" +
	"\xc0\x0c\x00\x0c\x00\x01\x00\x00\x00\x0a\x00\x0d" + "\x05_http\x04_tcp\xc0\x23" +
	"\xc0\x0c\x00\x0c\x00\x01\x00\x00\x00\x0a\x00\x07" + "\x04_ssh\xc0\x40"

func TestQuery(t *testing.T) {
	want := "\x61\x6a\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00" + qname + "\x00\x0c\x00\x01"
	if got := Query(); string(got) != want {
		t.Errorf("\n got % x\nwant % x", got, want)
	}
}

func TestParse(t *testing.T) {
	svc, err := Parse([]byte(answer))
	if err != nil || svc.ExtraInfo != "services: _http._tcp, _ssh._tcp" {
		t.Fatalf("%+v, %v", svc, err)
	}
	fptest.NoMatch(t, "Parse", Parse,
		"",
		string(Query()), // echoed: a query
		// dnsmasq's NXDOMAIN: a response with the question and no answers.
		"\x61\x6a\x81\x83\x00\x01\x00\x00\x00\x00\x00\x00"+qname+"\x00\x0c\x00\x01",
		"\x61\x6b"+answer[2:],              // another ID
		answer[:len(answer)-3],             // cut inside a record
		answer[:7]+"\x03"+answer[8:],       // three answers, two there
		answer[:29]+"\x00\x10"+answer[31:], // a question for another name
	)
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(answer))
	f.Fuzz(func(t *testing.T, b []byte) {
		if svc := fptest.CheckParse(t, "Parse", Parse, b); svc != nil && !bytes.HasPrefix(b, []byte{0x61, 0x6a}) {
			t.Errorf("% x taken without our ID", b)
		}
	})
}

func TestIdentify(t *testing.T) {
	fptest.MustMatch(t, fptest.UDPPlugin(t, name), fptest.ServeUDP(t, func(b []byte) []byte {
		if bytes.Equal(b, Query()) {
			return []byte(answer)
		}
		return nil
	}))
	fptest.MustNotMatch(t, fptest.UDPPlugin(t, name), fptest.ServeUDP(t, func(b []byte) []byte { return b }))
}

package modbus

import (
	"io"
	"net"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// mbap frames a PDU in an MBAP header with our transaction identifier.
func mbap(pdu string) string {
	n := len(pdu) + 1
	return string([]byte{transaction >> 8, transaction & 0xff, 0, 0, byte(n >> 8), byte(n), unit}) + pdu
}

// object is one identification object: id, length, value.
func object(id byte, v string) string { return string([]byte{id, byte(len(v))}) + v }

// specExample is the response of the example of section 6.21 of the
// MODBUS Application Protocol Specification V1.1b3: conformity level 1,
// no more to follow, three objects.
var specExample = mbap("\x2b\x0e\x01\x01\x00\x00\x03" + object(0, "Company identification") +
	object(1, "Product code XX") + object(2, "V2.11"))

// illegalFunction is the exception of a server without function 43
// (section 7, exception code 1).
var illegalFunction = mbap("\xab\x01")

var others = []string{
	"",
	string(Request()),
	mbap("\x2b\x0e\x01\x00"), // our request's PDU, as an echo
	mbap("\xab\x07"),         // no such exception code
	mbap("\x2b\x0e\x01\x01\x00\x00\x02" + object(0, "ACME")),       // one object short
	mbap("\x2b\x0e\x01\x01\x00\x00\x01" + object(0, "ACME") + "x"), // a byte too many
	"\x00\x01" + mbap("\xab\x01")[2:],                              // another transaction
	"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\n\r\n",
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
}

func TestParse(t *testing.T) {
	svc := fptest.CheckParse(t, "Parse", Parse, []byte(specExample))
	if svc == nil || svc.Name != "modbus" || svc.Product != "Company identification Product code XX" ||
		svc.Version != "2.11" || len(svc.CPE) != 1 ||
		svc.CPE[0] != "cpe:2.3:h:company_identification:product_code_xx:*:*:*:*:*:*:*:*" {
		t.Errorf("Parse(specExample) = %+v", svc)
	}
	svc = fptest.CheckParse(t, "Parse", Parse, []byte(illegalFunction))
	if svc == nil || svc.ExtraInfo != "device identification: illegal function" || svc.Product != "" {
		t.Errorf("Parse(illegalFunction) = %+v", svc)
	}
	fptest.NoMatch(t, "Parse", Parse, others...)
}

func FuzzParse(f *testing.F) {
	for _, s := range append([]string{specExample, illegalFunction}, others...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
		whole(b)
	})
}

func TestIdentifyLive(t *testing.T) {
	// A server that answers in two segments.
	addr := fptest.Serve(t, func(c net.Conn) {
		c.Read(make([]byte, 64))
		c.Write([]byte(specExample[:10]))
		c.Write([]byte(specExample[10:]))
		io.Copy(io.Discard, c)
	})
	if svc := fptest.MustMatch(t, plugin{}, addr); svc.Version != "2.11" {
		t.Errorf("got %+v", svc)
	}
	fptest.MustMatch(t, plugin{}, fptest.Serve(t, fptest.Reply([]byte(illegalFunction), len(Request()))))
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, func(c net.Conn) { io.Copy(c, c) }))
	fptest.MustNotMatch(t, plugin{}, fptest.HangUp(t))
}

package chargen

import (
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// line0 is openbsd-inetd's first chargen datagram.
const line0 = "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefgh\r\n"

func TestUDP(t *testing.T) {
	if _, err := ParseDatagram([]byte(line0)); err != nil {
		t.Fatal(err)
	}
	fptest.NoMatch(t, "ParseDatagram", ParseDatagram, "\r\n", "abcdefghijklmnopqrstuvwxyz{|}~ !\"#$%\r\nXY\r\n", "0123456789")
	p := fptest.UDPPlugin(t, "chargen")
	fptest.MustMatch(t, p, fptest.ServeUDP(t, func([]byte) []byte { return []byte(line0) }))
	fptest.MustNotMatch(t, p, fptest.ServeUDP(t, func(b []byte) []byte { return b }))
}

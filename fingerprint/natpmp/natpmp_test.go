package natpmp

import (
	"bytes"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// Answers written out from RFC 6886 §3.2: success with the external
// address 192.0.2.7, 3600 s after the gateway started; and "not
// authorized" (result 2).
const (
	success       = "\x00\x80\x00\x00" + "\x00\x00\x0e\x10" + "\xc0\x00\x02\x07"
	notAuthorized = "\x00\x80\x00\x02" + "\x00\x00\x0e\x10"
)

func TestParse(t *testing.T) {
	for _, c := range []struct{ in, info string }{
		{success, "external address 192.0.2.7"},
		{notAuthorized, "result 2: not authorized"},
		{notAuthorized + "\x00\x00\x00\x00", "result 2: not authorized"},
		// miniupnpd 2.3.1 (Debian 12) with a private external address,
		// captured in a test namespace: network failure.
		{"\x00\x80\x00\x03\x00\x00\x16\x5e\x00\x00\x00\x00", "result 3: network failure"},
	} {
		svc, err := Parse([]byte(c.in))
		if err != nil || svc.ExtraInfo != c.info {
			t.Errorf("% x: %+v, %v; want %q", c.in, svc, err, c.info)
		}
	}
	fptest.NoMatch(t, "Parse", Parse,
		"",
		string(Request()),                  // echoed
		"\x00\x80\x00\x00\x00\x00\x0e\x10", // success without an address
		"\x01\x80"+success[2:],             // version 1
		"\x00\x81"+success[2:],             // a mapping's answer
		"\x00\x80\x00\x09"+success[4:],     // result 9
		success+success,                    // too long
	)
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(success))
	f.Add([]byte(notAuthorized))
	f.Fuzz(func(t *testing.T, b []byte) {
		if svc := fptest.CheckParse(t, "Parse", Parse, b); svc != nil && !bytes.HasPrefix(b, []byte{0, 0x80}) {
			t.Errorf("% x taken", b)
		}
	})
}

func TestIdentify(t *testing.T) {
	fptest.MustMatch(t, fptest.UDPPlugin(t, name), fptest.ServeUDP(t, func(b []byte) []byte {
		if bytes.Equal(b, Request()) {
			return []byte(success)
		}
		return nil
	}))
	fptest.MustNotMatch(t, fptest.UDPPlugin(t, name), fptest.ServeUDP(t, func(b []byte) []byte { return b }))
}

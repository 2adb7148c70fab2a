package xdmcp

import (
	"bytes"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// Captures: xdm 1.1.11 (Debian 12) answering Query on loopback, on a host
// named "vm", with an Xaccess of "*" (Willing) and of nothing (Unwilling).
const (
	willing   = "\x00\x01\x00\x05\x00\x19\x00\x00\x00\x02vm\x00\x11Willing to manage"
	unwilling = "\x00\x01\x00\x06\x00\x27\x00\x02vm\x00\x21Display not authorized to connect"
)

func TestQuery(t *testing.T) {
	if got := Query(); string(got) != "\x00\x01\x00\x02\x00\x01\x00" {
		t.Errorf("% x", got)
	}
}

func TestParse(t *testing.T) {
	for _, c := range []struct{ in, info string }{
		{willing, "willing; host vm; Willing to manage"},
		{unwilling, "unwilling; host vm; Display not authorized to connect"},
		// Written out from the specification: Willing with an
		// authentication name and an empty status.
		{"\x00\x01\x00\x05\x00\x1c\x00\x12MIT-MAGIC-COOKIE-1\x00\x04host\x00\x00", "willing; host host"},
	} {
		svc, err := Parse([]byte(c.in))
		if err != nil || svc.Name != "xdmcp" || svc.ExtraInfo != c.info {
			t.Errorf("%q: %+v, %v; want %q", c.in, svc, err, c.info)
		}
	}
	fptest.NoMatch(t, "Parse", Parse,
		"",
		string(Query()),                    // echoed
		"\x00\x02"+willing[2:],             // version 2
		willing[:3]+"\x07"+willing[4:],     // Accept's opcode
		willing[:5]+"\x18"+willing[6:],     // length short
		willing+"x",                        // a byte past the fields
		willing[:len(willing)-1],           // status cut
		"\x00\x01\x00\x06\x00\x02\x00\x05", // a field past the end
		unwilling[:5]+"\x29"+unwilling[6:]+"\x00\x00", // a third field
	)
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(willing))
	f.Add([]byte(unwilling))
	f.Fuzz(func(t *testing.T, b []byte) {
		if svc := fptest.CheckParse(t, "Parse", Parse, b); svc != nil && !bytes.HasPrefix(b, []byte{0, 1, 0}) {
			t.Errorf("% x taken", b)
		}
	})
}

func TestIdentify(t *testing.T) {
	fptest.MustMatch(t, fptest.UDPPlugin(t, name), fptest.ServeUDP(t, func(b []byte) []byte {
		if bytes.Equal(b, Query()) {
			return []byte(willing)
		}
		return nil
	}))
	fptest.MustNotMatch(t, fptest.UDPPlugin(t, name), fptest.ServeUDP(t, func(b []byte) []byte { return b }))
}

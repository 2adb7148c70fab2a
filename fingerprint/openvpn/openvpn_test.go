package openvpn

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// serverReset is P_CONTROL_HARD_RESET_SERVER_V2 written out from the wire
// protocol document: opcode 8, key ID 0, the server's session ID, an ACK
// array of one (our packet 0), our session ID, its packet ID 0.
const serverReset = "\x40" + "\x9a\x1b\x2c\x3d\x4e\x5f\x60\x71" + "\x01" + "\x00\x00\x00\x00" + "ajar-ovp" + "\x00\x00\x00\x00"

// openvpnCapture is OpenVPN 2.6.14 (Debian 12; --tls-server, no
// tls-auth) answering HardReset in a test namespace: exactly the shape
// above, with its own session ID.
const openvpnCapture = "40c946b012706020c20100000000616a61722d6f767000000000"

func TestParseCapture(t *testing.T) {
	b, err := hex.DecodeString(openvpnCapture)
	if err != nil {
		t.Fatal(err)
	}
	if svc, err := Parse(b); err != nil || svc.Name != "openvpn" {
		t.Errorf("%+v, %v", svc, err)
	}
}

func TestHardReset(t *testing.T) {
	want := "\x38" + "ajar-ovp" + "\x00" + "\x00\x00\x00\x00"
	if got := HardReset(); string(got) != want {
		t.Errorf("% x, want % x", got, want)
	}
}

func TestParse(t *testing.T) {
	for _, in := range []string{
		serverReset,
		"\x28" + "\x9a\x1b\x2c\x3d\x4e\x5f\x60\x71" + "\x01" + "\x00\x00\x00\x00" + "ajar-ovp", // P_ACK_V1
	} {
		if svc, err := Parse([]byte(in)); err != nil || svc.Name != "openvpn" {
			t.Errorf("% x: %+v, %v", in, svc, err)
		}
	}
	fptest.NoMatch(t, "Parse", Parse,
		"",
		string(HardReset()), // our own request echoed
		serverReset[:9]+"\x00"+serverReset[10:],      // no ACK
		serverReset[:14]+"other-id"+serverReset[22:], // another session
		serverReset[:22],                        // no packet ID
		"\x48"+serverReset[1:],                  // opcode 9
		serverReset[:9]+"\x09"+serverReset[10:], // nine ACKs
	)
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(serverReset))
	f.Fuzz(func(t *testing.T, b []byte) {
		if svc := fptest.CheckParse(t, "Parse", Parse, b); svc != nil && !bytes.Contains(b, []byte("ajar-ovp")) {
			t.Errorf("% x taken without our session ID", b)
		}
	})
}

func TestIdentify(t *testing.T) {
	addr := fptest.ServeUDP(t, func(b []byte) []byte {
		if bytes.Equal(b, HardReset()) {
			return []byte(serverReset)
		}
		return nil
	})
	fptest.MustMatch(t, fptest.UDPPlugin(t, name), addr)
	fptest.MustNotMatch(t, fptest.UDPPlugin(t, name), fptest.ServeUDP(t, func(b []byte) []byte { return b }))
}

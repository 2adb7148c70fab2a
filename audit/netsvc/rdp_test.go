package netsvc

import (
	"testing"

	"github.com/ajarsec/ajar/fingerprint/rdp"
)

// confirm is a TPKT-framed X.224 Connection Confirm with an 8-byte
// negotiation message of type typ carrying v; typ 0 is none.
func confirm(typ byte, v byte) []byte {
	if typ == 0 {
		return []byte{3, 0, 0, 11, 6, 0xd0, 0, 0, 0x12, 0x34, 0}
	}
	return []byte{3, 0, 0, 19, 14, 0xd0, 0, 0, 0x12, 0x34, 0, typ, 1, 8, 0, v, 0, 0, 0}
}

func TestJudgeRDP(t *testing.T) {
	for _, tc := range []struct {
		name       string
		b          []byte
		nla, stdrd string
	}{
		// xrdp 0.9.21, security_layer=rdp: standard RDP security whatever is asked.
		{"xrdp rdp", confirm(2, 0), "rdp-no-nla/medium confirmed", "rdp-standard-security/medium confirmed"},
		// xrdp, security_layer=tls: TLS when offered, SSL_REQUIRED_BY_SERVER otherwise.
		{"xrdp tls", confirm(2, 1), "rdp-no-nla/medium confirmed", "n/a"},
		{"ssl required", confirm(3, 1), "n/a", "n/a"},
		// Windows with NLA: CredSSP, or HYBRID_REQUIRED_BY_SERVER.
		{"credssp", confirm(2, 2), "n/a", "n/a"},
		{"credssp ex", confirm(2, 8), "n/a", "n/a"},
		{"hybrid required", confirm(3, 5), "n/a", "n/a"},
		// A server older than RDP 5.2: no negotiation at all.
		{"legacy", confirm(0, 0), "rdp-no-nla/medium confirmed", "rdp-standard-security/medium confirmed"},
	} {
		cc, err := rdp.ParseConfirm(tc.b)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := judged(JudgeRDPNLA(cc)); got != tc.nla {
			t.Errorf("%s: JudgeRDPNLA %s, want %s", tc.name, got, tc.nla)
		}
		if got := judged(JudgeRDPStandard(cc)); got != tc.stdrd {
			t.Errorf("%s: JudgeRDPStandard %s, want %s", tc.name, got, tc.stdrd)
		}
	}
}

func TestJudgeX11(t *testing.T) {
	for in, want := range map[string]string{
		// Xvfb 21.1.7 with -ac: Success.
		"\x01\x00\x0b\x00\x00\x00\x1a\x02": "x11-open/critical confirmed",
		// Xvfb without -ac: Failed, "Authorization required, but no authorization protocol specified".
		"\x00\x40\x0b\x00\x00\x00\x11\x00": "n/a",
		"\x02\x00\x0b\x00\x00\x00\x02\x00": "n/a",
		"\x01\x00\x0c\x00\x00\x00\x1a\x02": "n/a",
		"\x01":                             "n/a",
	} {
		if got := judged(JudgeX11([]byte(in))); got != want {
			t.Errorf("JudgeX11(%q) = %s, want %s", in, got, want)
		}
	}
}

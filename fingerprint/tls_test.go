package fingerprint

import (
	"encoding/hex"
	"strings"
	"testing"
)

// A TLS 1.3 ServerHello record in the shape of RFC 8448's "simple 1-RTT
// handshake": cipher TLS_AES_128_GCM_SHA256, extensions key_share and
// supported_versions.
const rfc8448Hello = "160303005a" + "020000560303" +
	"a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e26928" +
	"00" + "1301" + "00" + "002e" +
	"00330024001d0020c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f" +
	"002b00020304"

func TestParseServerHello(t *testing.T) {
	b, err := hex.DecodeString(rfc8448Hello)
	if err != nil {
		t.Fatal(err)
	}
	h, err := ParseServerHello(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := h.JA3S(); got != "771,4865,51-43" {
		t.Errorf("JA3S string %q", got)
	}
	// The hello split over two records is joined.
	split := append([]byte{0x16, 0x03, 0x03, 0x00, 0x10}, b[5:21]...)
	split = append(split, 0x16, 0x03, 0x03, 0x00, byte(len(b)-21))
	split = append(split, b[21:]...)
	if h2, err := ParseServerHello(split); err != nil || h2.JA3S() != h.JA3S() {
		t.Errorf("split hello: %v %q", err, h2.JA3S())
	}
	for _, bad := range []string{"", "15030300020228", "160303000102", rfc8448Hello[:60], "485454502f312e31"} {
		in, _ := hex.DecodeString(bad)
		if _, err := ParseServerHello(in); err == nil {
			t.Errorf("ParseServerHello(%s): no error", bad)
		}
	}
}

func FuzzParseServerHello(f *testing.F) {
	b, _ := hex.DecodeString(rfc8448Hello)
	f.Add(b)
	f.Add([]byte{0x16, 3, 3, 0, 4, 2, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseServerHello(b)
		if err == nil && strings.Count(h.JA3S(), ",") != 2 {
			t.Fatalf("JA3S %q", h.JA3S())
		}
	})
}

func TestCPE(t *testing.T) {
	for _, tt := range []struct{ vendor, product, version, want string }{
		{"openbsd", "openssh", "9.2p1", "cpe:2.3:a:openbsd:openssh:9.2p1:*:*:*:*:*:*:*"},
		{"Apache", "HTTP Server", "", "cpe:2.3:a:apache:http_server:*:*:*:*:*:*:*:*"},
		{"x", "a:b", "1.0(beta)", `cpe:2.3:a:x:a\:b:1.0\(beta\):*:*:*:*:*:*:*`},
	} {
		if got := CPE(tt.vendor, tt.product, tt.version); got != tt.want {
			t.Errorf("CPE(%q, %q, %q) = %q, want %q", tt.vendor, tt.product, tt.version, got, tt.want)
		}
	}
}

package timeproto

import (
	"encoding/binary"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// at is what a time server says at t.
func at(t time.Time) []byte {
	return binary.BigEndian.AppendUint32(nil, uint32(t.Unix()-epoch1900))
}

func TestParse(t *testing.T) {
	now := time.Date(2026, 12, 4, 17, 40, 0, 0, time.UTC)
	for _, b := range [][]byte{at(now), at(now.Add(-time.Hour)), at(now.Add(23 * time.Hour))} {
		if svc, err := Parse(b, now); err != nil || svc.Name != "time" {
			t.Errorf("Parse(% x) = %+v, %v", b, svc, err)
		}
	}
	// RFC 868's examples: 2,208,988,800 is 1970-01-01, and after the
	// 32-bit count wraps in 2036, small counts are the years after.
	if _, err := Parse([]byte{0x83, 0xaa, 0x7e, 0x80}, time.Unix(0, 0)); err != nil {
		t.Errorf("RFC 868's 1970: %v", err)
	}
	later := time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := Parse(at(later), later); err != nil {
		t.Errorf("after the wrap: %v", err)
	}
	for _, b := range []string{"", "\x00\x00\x00", "SSH-", "\x00\x00\x00\x00", "220 ready\r\n", string(at(now)) + "\n"} {
		if svc, err := Parse([]byte(b), now); !errors.Is(err, fingerprint.ErrNoMatch) {
			t.Errorf("Parse(%q) = %+v, %v", b, svc, err)
		}
	}
	if _, err := Parse(at(now.Add(-48*time.Hour)), now); err == nil {
		t.Error("a clock two days off is a time server")
	}
}

func FuzzParse(f *testing.F) {
	f.Add(at(time.Now()))
	f.Add([]byte("SSH-"))
	f.Fuzz(func(t *testing.T, b []byte) {
		svc, err := Parse(b, time.Now())
		if (svc == nil) == (err == nil) {
			t.Fatalf("result %v with error %v", svc, err)
		}
	})
}

func TestIdentifyLive(t *testing.T) {
	addr := fptest.Serve(t, func(c net.Conn) { c.Write(at(time.Now())) })
	fptest.MustMatch(t, plugin{}, addr)
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, func(c net.Conn) { c.Write([]byte("SSH-")) }))
}

package quic

import (
	"bytes"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// vn is a Version Negotiation packet written out from RFC 8999 §6 and
// RFC 9000 §17.2.1 in answer to Request: a first byte with the header
// form bit set and the rest arbitrary, version 0, our SCID as destination
// and our DCID as source, then QUIC 1, a greasing version (0x?a?a?a?a,
// RFC 9000 §15), QUIC 2 (RFC 9369) and draft-29.
const vn = "\xc5" + "\x00\x00\x00\x00" + "\x08ajar-qsc" + "\x08ajar-qdc" +
	"\x00\x00\x00\x01" + "\x5a\x6a\x7a\x8a" + "\x6b\x33\x43\xcf" + "\xff\x00\x00\x1d"

// quicGo is quic-go 0.66.0 (a Go module, in a program of ours on
// loopback) answering Request: QUIC 1, QUIC 2 and a greasing version.
const quicGo = "\xd4\x00\x00\x00\x00\x08ajar-qsc\x08ajar-qdc\x00\x00\x00\x01\x6b\x33\x43\xcf\xda\x6a\xba\x9a"

func TestRequest(t *testing.T) {
	b := Request()
	if len(b) != 1200 || !bytes.HasPrefix(b, []byte("\xc0\x1a\x2a\x3a\x4a\x08ajar-qdc\x08ajar-qsc")) ||
		!bytes.Equal(b[23:], make([]byte, 1200-23)) {
		t.Errorf("% x", b[:40])
	}
}

func TestParse(t *testing.T) {
	for _, c := range []struct{ in, info string }{
		{vn, "versions 1, 2, draft-29"},
		{quicGo, "versions 1, 2"},
		{"\x80\x00\x00\x00\x00\x08ajar-qsc\x08ajar-qdc\x00\x00\x00\x01", "versions 1"},
		{"\x80\x00\x00\x00\x00\x08ajar-qsc\x08ajar-qdc\x51\x30\x35\x30\x12\x34\x56\x78", "versions Q050, 0x12345678"},
		{"\x80\x00\x00\x00\x00\x08ajar-qsc\x08ajar-qdc\x3a\x4a\x5a\x6a", ""}, // only greasing
	} {
		svc, err := Parse([]byte(c.in))
		if err != nil || svc.Name != "quic" || svc.ExtraInfo != c.info {
			t.Errorf("% x: %+v, %v; want %q", c.in, svc, err, c.info)
		}
	}
	fptest.NoMatch(t, "Parse", Parse,
		"",
		string(Request()),                // echoed
		"\x45"+vn[1:],                    // a short header
		vn[:1]+"\x00\x00\x00\x01"+vn[5:], // a version, not negotiation
		vn[:5]+"\x08ajar-qdc\x08ajar-qsc"+vn[23:], // IDs not swapped
		vn[:5]+"\x08other-id\x08ajar-qdc"+vn[23:], // another connection
		vn[:23],               // no versions
		vn[:len(vn)-1],        // a version cut
		vn[:5]+"\x09ajar-qsc", // ID past the end
		vn+"\x1a\x2a\x3a\x4a", // our own version listed
		vn[:23]+string(bytes.Repeat([]byte("\x00\x00\x00\x01"), 17)), // too many
	)
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(vn))
	f.Add(Request())
	f.Fuzz(func(t *testing.T, b []byte) {
		if svc := fptest.CheckParse(t, "Parse", Parse, b); svc != nil && !bytes.Contains(b, []byte("ajar-qsc\x08ajar-qdc")) {
			t.Errorf("% x taken", b)
		}
	})
}

func TestIdentify(t *testing.T) {
	fptest.MustMatch(t, fptest.UDPPlugin(t, name), fptest.ServeUDP(t, func(b []byte) []byte {
		if len(b) >= 1200 && b[0]&0x80 != 0 {
			// A server answers with the IDs it was sent, swapped.
			d, s := b[6:14], b[15:23]
			out := []byte{0x80, 0, 0, 0, 0, 8}
			out = append(append(append(out, s...), 8), d...)
			return append(out, 0, 0, 0, 1)
		}
		return nil
	}))
	fptest.MustNotMatch(t, fptest.UDPPlugin(t, name), fptest.ServeUDP(t, func(b []byte) []byte { return b }))
}

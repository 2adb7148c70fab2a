package tftp

import (
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

func TestRequest(t *testing.T) {
	if got, want := string(Request()), "\x00\x01ajar-probe.nonexistent\x00octet\x00"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}

// Answers from RFC 1350 §5 and RFC 2347, and tftpd-hpa 5.2's answer to
// Request (Debian 12, captured in a test namespace, sent from port 56762
// to a request on port 500).
func TestParse(t *testing.T) {
	for _, c := range []struct{ in, info string }{
		{"\x00\x05\x00\x01\x46\x69\x6c\x65\x20\x6e\x6f\x74\x20\x66\x6f\x75\x6e\x64\x00", "error 1: File not found"}, // tftpd-hpa
		{"\x00\x05\x00\x01File not found\x00", "error 1: File not found"},
		{"\x00\x05\x00\x02\x00", "error 2: access violation"},
		{"\x00\x03\x00\x01data", "served a file it should not have"},
		{"\x00\x06blksize\x00512\x00", "options"},
	} {
		svc, err := Parse([]byte(c.in))
		if err != nil || svc.ExtraInfo != c.info {
			t.Errorf("%q: %+v, %v; want %q", c.in, svc, err, c.info)
		}
		if !IsReply([]byte(c.in)) {
			t.Errorf("%q: not a reply", c.in)
		}
	}
	fptest.NoMatch(t, "Parse", Parse,
		"",
		"\x00\x05",
		"\x00\x03\x00\x02data",               // not the first block
		"\x00\x05\x00\x01no terminator",      // unterminated
		"\x00\x05\x00\x01two\x00strings\x00", // more after the message
		"\x00\x05\x00\x63File not found\x00", // code 99
		"\x00\x06blksize\x00",                // an option without a value
		string(Request()),                    // a request, not a reply
		"SSH-2.0-x\r\n",
	)
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("\x00\x05\x00\x01File not found\x00"))
	f.Add([]byte("\x00\x03\x00\x01"))
	f.Add([]byte("\x00\x06a\x00b\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if svc := fptest.CheckParse(t, "Parse", Parse, b); svc != nil && (b[0] != 0 || b[1] < 3 || b[1] > 6) {
			t.Errorf("%q taken for a TFTP reply", b)
		}
	})
}

package x11

import (
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/record"
)

// xvfb2117 is the start of Xvfb 21.1.7's (Debian 12) Success reply.
const xvfb2117 = "\x01\x00\x0b\x00\x00\x00S\t\x8f\xa5\xb8\x00\x00\x00 \x00\xff\xff\x1f\x00\x00\x01\x00\x00\x14\x00" +
	"\xff\xff\x01\x06\x00\x00  \x08\xff\x00\x00\x00\x00The X.Org Foundation"

// denied is Xorg's Failed reply to a client it does not let in.
const denied = "\x00\x16\x0b\x00\x00\x00\x06\x00No protocol specified\n\x00\x00"

func TestParse(t *testing.T) {
	svc := fptest.CheckParse(t, "Parse", Parse, []byte(xvfb2117))
	if svc.Product != "X.Org" || svc.Version != "21.1.7" || svc.ExtraInfo != "X11.0; open" {
		t.Errorf("got %+v", svc)
	}
	svc = fptest.CheckParse(t, "Parse", Parse, []byte(denied))
	if svc.Product != "" || svc.ExtraInfo != "access denied; No protocol specified" {
		t.Errorf("got %+v", svc)
	}
	fptest.NoMatch(t, "Parse", Parse, xvfb2117[:30], "\x01\x00\x0a\x00\x00\x00S\t", "\x03\x00\x0b\x00\x00\x00\x00\x00",
		"HTTP/1.0 400", "\x00\x40\x0b\x00\x00\x00\x06\x00short")
	if !enough([]byte(xvfb2117)) || enough([]byte(xvfb2117[:50])) {
		t.Error("enough")
	}
}

func TestVendor(t *testing.T) {
	for rel, want := range map[uint32]string{12101007: "21.1.7", 12004000: "1.20.4", 11903001: "1.19.3.1"} {
		svc := &record.Service{}
		vendor(svc, "The X.Org Foundation", rel)
		if svc.Version != want {
			t.Errorf("%d: %q, want %q", rel, svc.Version, want)
		}
	}
}

func TestIdentify(t *testing.T) {
	svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, fptest.Reply([]byte(xvfb2117+"\x00\x00\x00\x00"), len(Setup))))
	if svc.Version != "21.1.7" {
		t.Errorf("got %+v", svc)
	}
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, fptest.Reply([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"), len(Setup))))
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(xvfb2117))
	f.Add([]byte(denied))
	f.Fuzz(func(t *testing.T, b []byte) { Parse(b) })
}

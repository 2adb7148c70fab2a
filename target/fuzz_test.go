package target

import (
	"strings"
	"testing"
)

// FuzzParseSpec checks that whatever ParseSpec accepts prints in a form it
// reads back to the same Spec, and that the addresses it covers make sense.
func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{
		"10.0.0.1", "10.0.0.0/24", "10.0.0.77/24", "10.0.0.1-20", "10.0.0.1-10.0.1.5",
		"2001:db8::1", "2001:db8::/120", "2001:db8::1-2001:db8::ff", "::ffff:10.0.0.0/120",
		"::ffff:10.0.0.1-20", "localhost", "db-1.example.org.", "10.0.0.5-1", "fe80::1%eth0",
		"10.0.0.0/33", "example.com:80", "::/0", "0.0.0.0/0", "10.0.0.300",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sp, err := ParseSpec(s)
		if err != nil {
			if sp != (Spec{}) {
				t.Fatalf("ParseSpec(%q) failed but returned %#v", s, sp)
			}
			if !strings.HasPrefix(err.Error(), "bad target ") && !strings.HasPrefix(err.Error(), "bad range ") {
				t.Fatalf("ParseSpec(%q) error %q does not start with bad target/range", s, err)
			}
			return
		}
		text := sp.String()
		back, err := ParseSpec(text)
		if err != nil {
			t.Fatalf("ParseSpec(%q) = %q, which does not parse: %v", s, text, err)
		}
		if back != sp {
			t.Fatalf("ParseSpec(%q) = %#v; ParseSpec(%q) = %#v", s, sp, text, back)
		}
		if back.String() != text {
			t.Fatalf("String not stable: %q then %q", text, back.String())
		}
		b, _ := sp.MarshalText()
		var u Spec
		if err := u.UnmarshalText(b); err != nil || u != sp {
			t.Fatalf("text round trip of %q: %#v, %v", s, u, err)
		}
		switch sp.Kind() {
		case KindHost:
			if sp.Host() != s || sp.Range() != (Range{}) {
				t.Fatalf("hostname %q: host %q, range %v", s, sp.Host(), sp.Range())
			}
		case KindAddr, KindPrefix, KindRange:
			r := sp.Range()
			// Mapped addresses are unmapped, but an IPv6 range or prefix
			// may end in ::ffff:0:0/96 (::/80 does).
			if !r.IsValid() || r.From.Is4In6() || sp.Kind() == KindAddr && r.To.Is4In6() {
				t.Fatalf("ParseSpec(%q): range %v-%v", s, r.From, r.To)
			}
			if sp.Kind() == KindPrefix && (sp.Prefix().Addr() != r.From || !sp.Prefix().Contains(r.To)) {
				t.Fatalf("ParseSpec(%q): prefix %v, range %v", s, sp.Prefix(), r)
			}
			// The range's own shortest form covers the same addresses.
			if rr := MustParseSpec(r.String()).Range(); rr != r {
				t.Fatalf("ParseSpec(%q): range %v reads back as %v", s, r, rr)
			}
		default:
			t.Fatalf("ParseSpec(%q): kind %v", s, sp.Kind())
		}
	})
}

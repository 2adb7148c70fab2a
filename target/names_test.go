package target

import (
	"context"
	"maps"
	"net/netip"
	"testing"
)

// A set rebuilt from its String, with its Names given back, is the same
// set with the same names: what a resumed scan relies on.
func TestNamesRoundTrip(t *testing.T) {
	s := newSet(normalize([]Range{
		{mustAddr("10.0.0.1"), mustAddr("10.0.0.1")},
		{mustAddr("10.0.0.2"), mustAddr("10.0.0.2")},
		{mustAddr("10.1.0.0"), mustAddr("10.1.255.255")},
		{mustAddr("2001:db8::1"), mustAddr("2001:db8::9")},
	}), map[netip.Addr]string{mustAddr("10.0.0.1"): "a.example", mustAddr("2001:db8::5"): "b.example"}, nil)
	specs, err := ParseList(s.String())
	if err != nil {
		t.Fatal(err)
	}
	back, err := Resolve(context.Background(), specs, ResolveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if back.Names() != nil {
		t.Errorf("a set of literal ranges has names %v", back.Names())
	}
	back = back.WithNames(s.Names())
	if !back.Equal(s) || back.Len() != s.Len() || !maps.Equal(back.Names(), s.Names()) {
		t.Errorf("rebuilt %v %v, want %v %v", back, back.Names(), s, s.Names())
	}
	if back.Name(mustAddr("2001:db8::5")) != "b.example" {
		t.Error("name lost")
	}
	// Names of addresses outside the set are dropped; the copy is the
	// caller's.
	names := s.Names()
	names[mustAddr("192.0.2.1")] = "c.example"
	got := s.WithNames(names)
	if got.Name(mustAddr("192.0.2.1")) != "" || s.Name(mustAddr("192.0.2.1")) != "" || len(got.Names()) != 2 {
		t.Errorf("WithNames kept %v", got.Names())
	}
}

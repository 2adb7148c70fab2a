package target

import (
	"errors"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

// mustSet builds a set from a literal target list (no hostnames).
func mustSet(t testing.TB, list string) Set {
	t.Helper()
	specs, err := ParseList(list)
	if err != nil {
		t.Fatal(err)
	}
	rs := make([]Range, len(specs))
	for i, sp := range specs {
		if sp.Kind() == KindHost {
			t.Fatalf("mustSet(%q): hostname %s", list, sp)
		}
		rs[i] = sp.Range()
	}
	return SetOf(rs...)
}

// expand lists every address of a small set, the slow obvious way.
func expand(t testing.TB, rs []Range) []netip.Addr {
	t.Helper()
	seen := make(map[netip.Addr]bool)
	for _, r := range rs {
		for a := r.From; a.IsValid() && a.Compare(r.To) <= 0; a = a.Next() {
			seen[a] = true
			if len(seen) > 1<<16 {
				t.Fatal("set too big to expand")
			}
		}
	}
	out := slices.Collect(func(yield func(netip.Addr) bool) {
		for a := range seen {
			if !yield(a) {
				return
			}
		}
	})
	slices.SortFunc(out, netip.Addr.Compare)
	return out
}

// checkAgainst checks every At, Len, Contains and the shape of s against a
// brute-force list of its addresses.
func checkAgainst(t *testing.T, s Set, want []netip.Addr) {
	t.Helper()
	if s.Len() != uint64(len(want)) {
		t.Fatalf("%v: Len = %d, want %d", s, s.Len(), len(want))
	}
	for i, a := range want {
		if got := s.At(uint64(i)); got != a {
			t.Fatalf("%v: At(%d) = %v, want %v", s, i, got, a)
		}
		if !s.Contains(a) {
			t.Fatalf("%v: does not contain %v", s, a)
		}
		if n := a.Next(); n.IsValid() && !slices.Contains(want, n) && s.Contains(n) {
			t.Fatalf("%v: contains %v", s, n)
		}
		if p := a.Prev(); p.IsValid() && !slices.Contains(want, p) && s.Contains(p) {
			t.Fatalf("%v: contains %v", s, p)
		}
	}
	rs := s.Ranges()
	for i, r := range rs {
		if !r.IsValid() {
			t.Fatalf("%v: invalid range %v-%v", s, r.From, r.To)
		}
		if i > 0 && (rs[i-1].To.Compare(r.From) >= 0 || rs[i-1].To.Next() == r.From) {
			t.Fatalf("%v: ranges %v and %v overlap or touch", s, rs[i-1], r)
		}
	}
}

func TestSetOf(t *testing.T) {
	tests := []struct {
		in   string
		want string
		n    uint64
	}{
		{"", "", 0},
		{"10.0.0.1", "10.0.0.1", 1},
		{"10.0.0.2 10.0.0.1 10.0.0.3", "10.0.0.1-3", 3},
		{"10.0.0.0/25 10.0.0.128/25", "10.0.0.0/24", 256},
		{"10.0.0.0/24 10.0.0.5-10", "10.0.0.0/24", 256},
		{"10.0.0.1-10 10.0.0.5-20", "10.0.0.1-20", 20},
		{"10.0.0.1-10 10.0.0.12-20", "10.0.0.1-10,10.0.0.12-20", 19},
		{"10.0.0.255 10.0.1.0", "10.0.0.255-10.0.1.0", 2},
		{"2001:db8::1 10.0.0.1", "10.0.0.1,2001:db8::1", 2},
		{"255.255.255.255 ::", "255.255.255.255,::", 2}, // families never merge
		{"0.0.0.0/0 ::/0", "0.0.0.0/0,::/0", math.MaxUint64},
		{"2001:db8::/64 2001:db8:0:1::/64", "2001:db8::/63", math.MaxUint64},
		{"2001:db8::/65 10.0.0.0/8", "10.0.0.0/8,2001:db8::/65", 1<<63 + 1<<24},
	}
	for _, tt := range tests {
		s := mustSet(t, tt.in)
		if s.String() != tt.want || s.Len() != tt.n {
			t.Errorf("SetOf(%s) = %q (%d), want %q (%d)", tt.in, s, s.Len(), tt.want, tt.n)
		}
	}
}

func TestSetOfPanics(t *testing.T) {
	for _, r := range []Range{
		{},
		{mustAddr("10.0.0.2"), mustAddr("10.0.0.1")},
		{mustAddr("10.0.0.1"), mustAddr("::1")},
		{mustAddr("fe80::1%eth0"), mustAddr("fe80::2")},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("SetOf(%v-%v) did not panic", r.From, r.To)
				}
			}()
			SetOf(r)
		}()
	}
}

func TestSetAt(t *testing.T) {
	for _, list := range []string{
		"10.0.0.1",
		"10.0.0.0/28",
		"10.0.0.250-10.0.1.5 10.0.2.0/30 192.168.1.1",
		"255.255.255.250-255.255.255.255 ::-::3",
		"0.0.0.0-0.0.0.3 ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0/124",
		"2001:db8::ffff:ffff:ffff:fff0-2001:db8:0:1::10", // carries into the high half
		"10.0.0.1-20 2001:db8::/120 10.0.0.100-110 2001:db8::1:0/126",
	} {
		s := mustSet(t, list)
		checkAgainst(t, s, expand(t, s.Ranges()))
	}
}

func TestSetAtHuge(t *testing.T) {
	s := mustSet(t, "10.0.0.0/8 2001:db8::/65 2001:db8:1::/64")
	for _, tt := range []struct {
		i    uint64
		want string
	}{
		{0, "10.0.0.0"},
		{1<<24 - 1, "10.255.255.255"},
		{1 << 24, "2001:db8::"},
		{1<<24 + 1<<63 - 1, "2001:db8::7fff:ffff:ffff:ffff"},
		{1<<24 + 1<<63, "2001:db8:1::"},
		{math.MaxUint64 - 1, "2001:db8:1:0:7fff:ffff:feff:fffe"},
	} {
		if got := s.At(tt.i); got != mustAddr(tt.want) {
			t.Errorf("At(%d) = %v, want %v", tt.i, got, tt.want)
		}
	}
	if s.Len() != math.MaxUint64 {
		t.Errorf("Len = %d, want saturated", s.Len())
	}
}

func TestSetAtPanics(t *testing.T) {
	for _, s := range []Set{{}, mustSet(t, "10.0.0.0/24")} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%v: At(Len()) did not panic", s)
				}
			}()
			s.At(s.Len())
		}()
	}
}

func TestExclude(t *testing.T) {
	tests := []struct {
		in, ex, want string
	}{
		{"10.0.0.0/24", "", "10.0.0.0/24"},
		{"", "10.0.0.0/24", ""},
		{"10.0.0.0/24", "10.0.0.0/24", ""},
		{"10.0.0.0/24", "10.0.0.0/8", ""},
		{"10.0.0.0/24", "10.0.0.0", "10.0.0.1-255"},
		{"10.0.0.0/24", "10.0.0.255", "10.0.0.0-254"},
		{"10.0.0.0/24", "10.0.0.128/25", "10.0.0.0/25"},
		{"10.0.0.0/24", "10.0.0.5 10.0.0.7-9 10.0.0.200-10.0.1.20", "10.0.0.0-4,10.0.0.6,10.0.0.10-199"},
		{"10.0.0.0/24 10.0.2.0/24", "10.0.0.128-10.0.2.127", "10.0.0.0/25,10.0.2.128/25"},
		{"10.0.0.0/24 2001:db8::/120", "10.0.0.0/24", "2001:db8::/120"},
		{"10.0.0.0/24 2001:db8::/120", "2001:db8::/64 9.0.0.0/8", "10.0.0.0/24"},
		{"0.0.0.0/0", "0.0.0.0 255.255.255.255", "0.0.0.1-255.255.255.254"},
		{"::/0", "::/1", "8000::/1"},
		{"10.0.0.1 10.0.0.3 10.0.0.5", "10.0.0.2 10.0.0.4", "10.0.0.1,10.0.0.3,10.0.0.5"},
		{"10.0.0.0/8", "0.0.0.0/0", ""},
		{"10.0.0.0/8 2001:db8::/32", "0.0.0.0/0 ::/0", ""},
	}
	for _, tt := range tests {
		got := mustSet(t, tt.in).Exclude(mustSet(t, tt.ex))
		if got.String() != tt.want {
			t.Errorf("%q minus %q = %q, want %q", tt.in, tt.ex, got, tt.want)
		}
	}
}

// TestExcludeRandom checks Exclude, At and Contains against brute force on
// random small sets of both families.
func TestExcludeRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	bases := []netip.Addr{mustAddr("10.0.0.0"), mustAddr("2001:db8::ffff:ffff:ffff:ff00")}
	randRanges := func() []Range {
		rs := make([]Range, rng.IntN(6))
		for i := range rs {
			b := toU128(bases[rng.IntN(len(bases))])
			lo := uint64(rng.IntN(512))
			hi := lo + uint64(rng.IntN(40))
			rs[i] = Range{b.add64(lo).addr(b.hi == 0), b.add64(hi).addr(b.hi == 0)}
		}
		return rs
	}
	for range 500 {
		in, ex := randRanges(), randRanges()
		s, x := SetOf(in...), SetOf(ex...)
		checkAgainst(t, s, expand(t, in))
		excluded := expand(t, ex)
		want := slices.DeleteFunc(expand(t, in), func(a netip.Addr) bool {
			_, found := slices.BinarySearchFunc(excluded, a, netip.Addr.Compare)
			return found
		})
		checkAgainst(t, s.Exclude(x), want)
	}
}

func TestExcludeKeepsNames(t *testing.T) {
	s := newSet(normalize([]Range{
		{mustAddr("10.0.0.1"), mustAddr("10.0.0.1")},
		{mustAddr("10.0.0.2"), mustAddr("10.0.0.2")},
	}), map[netip.Addr]string{mustAddr("10.0.0.1"): "a.example", mustAddr("10.0.0.2"): "b.example"}, nil)
	got := s.Exclude(mustSet(t, "10.0.0.2"))
	if got.Name(mustAddr("10.0.0.1")) != "a.example" || got.Name(mustAddr("10.0.0.2")) != "" {
		t.Errorf("names after exclusion: %q, %q", got.Name(mustAddr("10.0.0.1")), got.Name(mustAddr("10.0.0.2")))
	}
	if s.Name(mustAddr("10.0.0.2")) != "b.example" {
		t.Error("Exclude changed the original set")
	}
}

func TestCheckLen(t *testing.T) {
	for _, tt := range []struct {
		list string
		want string
	}{
		{"10.0.0.0/8", ""},
		{"0.0.0.0/0 ::/96", ""},
		{"2001:db8::/81", ""},
		{"2001:db8::/81 10.0.0.1", "too many targets: 140737488355329 addresses, more than the limit of 2^47"},
		{"2001:db8::/80", "too many targets: 281474976710656 addresses"},
		{"2001:db8::/32", "too many targets: 2^64 or more addresses"},
	} {
		err := mustSet(t, tt.list).CheckLen()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.list, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrTooMany)):
			t.Errorf("%s: error %v, want %q", tt.list, err, tt.want)
		}
	}
	big := mustSet(t, "2001:db8::/32").Exclude(mustSet(t, "2001:db8::/33 2001:db8:8000::/34 2001:db8:c000::/35"))
	if err := big.CheckLen(); err == nil {
		t.Errorf("%v: no error", big)
	}
	small := mustSet(t, "2001:db8::/32").Exclude(mustSet(t, "2001:db8::/33 2001:db8:8000::/33"))
	if err := small.CheckLen(); err != nil || small.Len() != 0 {
		t.Errorf("%v: %v", small, err)
	}
}

func TestSetEqualContains(t *testing.T) {
	a := mustSet(t, "10.0.0.1-3 10.0.0.4")
	b := mustSet(t, "10.0.0.1-4")
	if !a.Equal(b) || a.Equal(mustSet(t, "10.0.0.1-5")) {
		t.Error("Equal")
	}
	if !a.Contains(mustAddr("10.0.0.4")) || a.Contains(mustAddr("10.0.0.5")) || a.Contains(mustAddr("::ffff:10.0.0.4")) {
		t.Error("Contains")
	}
	v6 := mustSet(t, "fe80::/64")
	if !v6.Contains(mustAddr("fe80::1%eth0")) {
		t.Error("Contains with a zone")
	}
	if (Set{}).Contains(mustAddr("10.0.0.1")) || (Set{}).Name(mustAddr("10.0.0.1")) != "" {
		t.Error("zero Set")
	}
}

package portspec

import (
	"slices"
	"testing"
)

func TestExclude(t *testing.T) {
	tests := []struct{ s, o, want string }{
		{"1-100", "50", "1-49,51-100"},
		{"1-100", "1", "2-100"},
		{"1-100", "100", "1-99"},
		{"1-100", "1-100", ""},
		{"1-100", "-", ""},
		{"10-20", "1-5,25-30", "10-20"},
		{"10-20", "5-12,18-30", "13-17"},
		{"10-20,30-40", "15-35", "10-14,36-40"},
		{"-", "22,80,443", "1-21,23-79,81-442,444-65535"},
		{"-", "1,65535", "2-65534"},
		{"22,80,443", "80", "22,443"},
		{"1-10,20-30,40-50", "5-45", "1-4,46-50"},
		{"1-10,20-30", "11-19", "1-10,20-30"},
		{"5", "1-4,6-9", "5"},
	}
	for _, tt := range tests {
		got := MustParseRanges(tt.s).Exclude(MustParseRanges(tt.o))
		if got.String() != tt.want {
			t.Errorf("%s minus %s = %q, want %q", tt.s, tt.o, got, tt.want)
		}
	}
	if got := (Ranges{}).Exclude(MustParseRanges("22")); !got.IsEmpty() {
		t.Errorf("empty minus 22 = %q", got)
	}
	if got := MustParseRanges("22").Exclude(Ranges{}); got.String() != "22" {
		t.Errorf("22 minus empty = %q", got)
	}
	if got := MustParseRanges("1-3").Exclude(MustParseRanges("1-3")); !got.Equal(Ranges{}) {
		t.Errorf("1-3 minus 1-3 is not the zero Ranges: %#v", got)
	}
}

func TestUnionAndPortsOf(t *testing.T) {
	if got := MustParseRanges("1-10,30").Union(MustParseRanges("11-20,25")); got.String() != "1-20,25,30" {
		t.Errorf("union = %q", got)
	}
	a := MustParseRanges("5-9")
	_ = a.Union(MustParseRanges("10"))
	if a.String() != "5-9" {
		t.Errorf("Union changed its receiver to %q", a)
	}
	if got := PortsOf(443, 0, 22, 80, 81, 22); got.String() != "22,80-81,443" {
		t.Errorf("PortsOf = %q", got)
	}
	if !PortsOf().IsEmpty() || !PortsOf(0).IsEmpty() {
		t.Error("PortsOf of no port is not empty")
	}
}

func TestAtAndIndex(t *testing.T) {
	for _, s := range []string{"22", "1-3,10,20-21", "-", "22,80,443,1000-2000,65535"} {
		r := MustParseRanges(s)
		all := slices.Collect(r.All())
		if len(all) != r.Len() || !slices.IsSorted(all) {
			t.Fatalf("%s: All gave %d ports, Len %d", s, len(all), r.Len())
		}
		x := r.Index()
		if x.Len() != r.Len() {
			t.Errorf("%s: Index.Len = %d, want %d", s, x.Len(), r.Len())
		}
		for i, p := range all {
			if got := r.At(i); got != p {
				t.Fatalf("%s: At(%d) = %d, want %d", s, i, got, p)
			}
			if got := x.At(i); got != p {
				t.Fatalf("%s: Index.At(%d) = %d, want %d", s, i, got, p)
			}
		}
		for _, i := range []int{-1, r.Len()} {
			mustPanic(t, func() { r.At(i) })
			mustPanic(t, func() { x.At(i) })
		}
	}
	var zero Index
	if zero.Len() != 0 {
		t.Error("zero Index is not empty")
	}
	mustPanic(t, func() { zero.At(0) })
	// All stops when asked to.
	n := 0
	for range MustParseRanges("-").All() {
		if n++; n == 3 {
			break
		}
	}
}

func mustPanic(t *testing.T, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Error("did not panic")
		}
	}()
	f()
}

// FuzzRangesOps checks Exclude and Union port by port against Contains, and
// Index.At against All.
func FuzzRangesOps(f *testing.F) {
	f.Add("1-100", "50")
	f.Add("-", "22,80,443")
	f.Add("10-20,30-40", "15-35,39-")
	f.Fuzz(func(t *testing.T, a, b string) {
		ra, err := ParseRanges(a)
		if err != nil {
			return
		}
		rb, err := ParseRanges(b)
		if err != nil {
			return
		}
		ex, un := ra.Exclude(rb), ra.Union(rb)
		for _, r := range []Ranges{ex, un} {
			if back, err := ParseRanges(r.String()); !r.IsEmpty() && (err != nil || !back.Equal(r)) {
				t.Fatalf("%q is not canonical", r)
			}
		}
		for p := 1; p <= 65535; p++ {
			in := ra.Contains(uint16(p)) && !rb.Contains(uint16(p))
			if ex.Contains(uint16(p)) != in {
				t.Fatalf("(%s) minus (%s) = %s: wrong about %d", ra, rb, ex, p)
			}
			in = ra.Contains(uint16(p)) || rb.Contains(uint16(p))
			if un.Contains(uint16(p)) != in {
				t.Fatalf("(%s) or (%s) = %s: wrong about %d", ra, rb, un, p)
			}
		}
		x, i := ex.Index(), 0
		for p := range ex.All() {
			if x.At(i) != p {
				t.Fatalf("%s: Index.At(%d) = %d, want %d", ex, i, x.At(i), p)
			}
			i++
		}
	})
}

func BenchmarkIndexAt(b *testing.B) {
	ports, err := TopTCP(TopDefault)
	if err != nil {
		b.Fatal(err)
	}
	x := PortsOf(ports...).Index()
	n := x.Len()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_ = x.At(i)
		if i++; i == n {
			i = 0
		}
	}
}

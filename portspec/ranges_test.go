package portspec

import (
	"strings"
	"testing"
)

func TestParseRanges(t *testing.T) {
	tests := []struct {
		in      string
		want    string // canonical form
		n       int
		wantErr string
	}{
		{in: "22", want: "22", n: 1},
		{in: " 22 , 80 ", want: "22,80", n: 2},
		{in: "80,22", want: "22,80", n: 2},
		{in: "1000-2000", want: "1000-2000", n: 1001},
		{in: "22,23,24", want: "22-24", n: 3},
		{in: "20-30,25-40", want: "20-40", n: 21},
		{in: "-1024", want: "1-1024", n: 1024},
		{in: "60000-", want: "60000-65535", n: 5536},
		{in: "-", want: "1-65535", n: 65535},
		{in: "65535", want: "65535", n: 1},
		{in: "5,5,5", want: "5", n: 1},
		{in: "", wantErr: "empty port list"},
		{in: "0", wantErr: "port 0"},
		{in: "65536", wantErr: "out of range"},
		{in: "70000", wantErr: "out of range"},
		{in: "99999999999999999999", wantErr: "out of range"},
		{in: "22,", wantErr: "empty item"},
		{in: "ssh", wantErr: "not a port number"},
		{in: "+22", wantErr: "not a port number"},
		{in: "30-20", wantErr: "backwards"},
		{in: "1-2-3", wantErr: "not a port number"},
		{in: "0-10", wantErr: "port 0"},
	}
	for _, tt := range tests {
		got, err := ParseRanges(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseRanges(%q) error = %v, want it to mention %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseRanges(%q): %v", tt.in, err)
			continue
		}
		if got.String() != tt.want || got.Len() != tt.n {
			t.Errorf("ParseRanges(%q) = %q (%d ports), want %q (%d)", tt.in, got, got.Len(), tt.want, tt.n)
		}
	}
}

func TestContains(t *testing.T) {
	r := MustParseRanges("22,80-90,443,60000-")
	for p, want := range map[uint16]bool{
		1: false, 21: false, 22: true, 23: false, 79: false, 80: true, 85: true,
		90: true, 91: false, 443: true, 444: false, 59999: false, 60000: true, 65535: true,
	} {
		if got := r.Contains(p); got != want {
			t.Errorf("Contains(%d) = %v, want %v", p, got, want)
		}
	}
	if (Ranges{}).Contains(22) {
		t.Error("empty set contains 22")
	}
}

func TestTextRoundTrip(t *testing.T) {
	r := MustParseRanges("443,22,80-81")
	b, err := r.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	var back Ranges
	if err := back.UnmarshalText(b); err != nil {
		t.Fatal(err)
	}
	if !back.Equal(r) {
		t.Errorf("round trip: %q != %q", back, r)
	}
}

func FuzzParseRanges(f *testing.F) {
	for _, s := range []string{"22", "1-65535", "-", "22,80,443", "-1024,60000-", "0", "a-b", "5-3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRanges(s)
		if err != nil {
			return
		}
		if r.IsEmpty() {
			t.Fatalf("ParseRanges(%q) gave an empty set without error", s)
		}
		back, err := ParseRanges(r.String())
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", r, s, err)
		}
		if !back.Equal(r) {
			t.Fatalf("round trip of %q: %q != %q", s, back, r)
		}
		n := 0
		for p := 1; p <= 65535; p++ {
			if r.Contains(uint16(p)) {
				n++
			}
		}
		if n != r.Len() {
			t.Fatalf("%q: Contains counts %d ports, Len says %d", s, n, r.Len())
		}
	})
}

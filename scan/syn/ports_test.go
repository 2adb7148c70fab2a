package syn

import "testing"

func TestDefaultSourcePorts(t *testing.T) {
	tests := []struct {
		elo, ehi uint16
		lo, hi   uint16
		ok       bool
	}{
		{32768, 60999, 61000, 65535, true}, // Linux's default: the ports above
		{32768, 65000, 24576, 32767, true}, // too few above: 8192 below
		{2000, 65000, 1024, 1999, false},   // 976 below, 535 above
		{3000, 65000, 1024, 2999, true},    // below, never under 1024
		{1024, 65535, 0, 0, false},         // no room
		{0, 100, 0, 0, false},              // nonsense
		{5000, 4000, 0, 0, false},
	}
	for _, tt := range tests {
		lo, hi, err := defaultSourcePorts(tt.elo, tt.ehi)
		if ok := err == nil; ok != tt.ok || (ok && (lo != tt.lo || hi != tt.hi)) {
			t.Errorf("ephemeral %d-%d: %d-%d, %v; want %d-%d ok=%v", tt.elo, tt.ehi, lo, hi, err, tt.lo, tt.hi, tt.ok)
		}
		if err == nil && (int(hi)-int(lo)+1 < minSourcePorts || (lo <= tt.ehi && hi >= tt.elo)) {
			t.Errorf("ephemeral %d-%d: %d-%d is too small or overlaps", tt.elo, tt.ehi, lo, hi)
		}
	}
}

func TestParsePortRange(t *testing.T) {
	tests := []struct {
		in     string
		lo, hi uint16
		ok     bool
	}{
		{"32768\t60999\n", 32768, 60999, true},
		{"1024 65535", 1024, 65535, true},
		{"60999 32768", 0, 0, false},
		{"32768", 0, 0, false},
		{"a b", 0, 0, false},
		{"0 10", 0, 0, false},
		{"1 70000", 0, 0, false},
	}
	for _, tt := range tests {
		lo, hi, err := parsePortRange(tt.in)
		if ok := err == nil; ok != tt.ok || lo != tt.lo || hi != tt.hi {
			t.Errorf("%q: %d %d %v", tt.in, lo, hi, err)
		}
	}
}

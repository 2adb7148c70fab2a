package udp

import (
	"bytes"
	"testing"
)

// table is a Payloads function with two ports, as a protocol table would
// give them.
func table(port uint16) ([][]byte, func([]byte) bool) {
	switch port {
	case 161:
		return [][]byte{[]byte("first"), []byte("second")}, nil
	case 69:
		return [][]byte{[]byte("\x00\x01f\x00octet\x00")}, func(b []byte) bool { return bytes.HasPrefix(b, []byte{0, 5}) }
	case 9:
		return [][]byte{}, nil // no datagrams: the empty one
	}
	return nil, nil
}

func TestPayloadFor(t *testing.T) {
	for _, c := range []struct {
		name  string
		p     Prober
		port  uint16
		want  []string
		other bool
	}{
		{"zero value", Prober{}, 161, []string{""}, false},
		{"two datagrams", Prober{Payloads: table}, 161, []string{"first", "second"}, false},
		{"another port's reply", Prober{Payloads: table}, 69, []string{"\x00\x01f\x00octet\x00"}, true},
		{"no datagrams", Prober{Payloads: table}, 9, []string{""}, false},
		{"unclaimed", Prober{Payloads: table}, 7, []string{""}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			pl := c.p.payloadFor(c.port)
			if len(pl.datagrams) != len(c.want) {
				t.Fatalf("%q, want %q", pl.datagrams, c.want)
			}
			for i, d := range pl.datagrams {
				if string(d) != c.want[i] {
					t.Errorf("datagram %d: %q, want %q", i, d, c.want[i])
				}
			}
			if (pl.otherPort != nil) != c.other {
				t.Errorf("otherPort set: %v, want %v", pl.otherPort != nil, c.other)
			}
		})
	}
}

// BenchmarkPayloadFor: looking up what a probe sends costs no allocation.
func BenchmarkPayloadFor(b *testing.B) {
	p := Prober{Payloads: table}
	b.ReportAllocs()
	n := 0
	for i := 0; b.Loop(); i++ {
		n += len(p.payloadFor(uint16(i)).datagrams)
	}
	if n == 0 {
		b.Fatal("no datagrams")
	}
}

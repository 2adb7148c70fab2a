package target

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
)

// loopbackName is this machine's loopback interface, which every Linux
// network namespace has ("lo").
func loopbackName(t *testing.T) string {
	t.Helper()
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, ifi := range ifs {
		if ifi.Flags&net.FlagLoopback != 0 {
			return ifi.Name
		}
	}
	t.Skip("no loopback interface")
	return ""
}

func TestZonedTargets(t *testing.T) {
	lo := loopbackName(t)
	specs, err := ParseList("fe80::1%" + lo + ",fe80::2,fe80::3%1,10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if specs[0].Zone() != lo || specs[0].String() != "fe80::1%"+lo || specs[1].Zone() != "" {
		t.Fatalf("specs: %v zone %q", specs, specs[0].Zone())
	}
	set, err := Resolve(context.Background(), specs, ResolveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// fe80::1-3 merge into one range; each address keeps its own zone.
	var got []string
	for i := range set.Len() {
		got = append(got, set.At(i).String())
	}
	want := []string{"10.0.0.1", "fe80::1%" + lo, "fe80::2", "fe80::3%1"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("At: got %v, want %v", got, want)
	}
	if !set.Contains(netip.MustParseAddr("fe80::1%" + lo)) {
		t.Error("Contains ignores zones")
	}
	// The zones survive Exclude (of other addresses) and a rebuild from
	// String, which has none, with WithZones.
	ex := set.Exclude(SetOf(Range{netip.MustParseAddr("fe80::3"), netip.MustParseAddr("fe80::3")}))
	if ex.At(1).Zone() != lo || ex.Len() != 3 {
		t.Errorf("Exclude lost a zone: %v", ex.At(1))
	}
	back, err := Resolve(context.Background(), mustParseList(t, set.String()), ResolveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if back = back.WithZones(set.Zones()); back.At(1).Zone() != lo {
		t.Errorf("WithZones: %v", back.At(1))
	}
}

func TestZoneErrors(t *testing.T) {
	lo := loopbackName(t)
	for _, tc := range []struct{ in, want string }{
		{"fe80::1%nosuchif0", `no interface named "nosuchif0" here`},
		{"fe80::1%99999", `no interface with index 99999`},
		{"fe80::1%" + lo + ",fe80::1%1", `one zone per address`},
	} {
		_, err := Resolve(context.Background(), mustParseList(t, tc.in), ResolveOptions{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.in, err, tc.want)
		}
	}
}

func mustParseList(t *testing.T, s string) []Spec {
	t.Helper()
	specs, err := ParseList(s)
	if err != nil {
		t.Fatal(err)
	}
	return specs
}

package main_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/ajarsec/ajar/internal/netnstest"
)

// TestLinkLocalZone: a link-local target with its zone (fe80::…%link), as
// nmap users type it, is scanned through that interface with connect and
// SYN probes, with and without discovery; a zone on another address or a
// missing interface is a one-line usage error.
func TestLinkLocalZone(t *testing.T) {
	bed := netnstest.NewBed(t)
	bed.ListenTCP(8081)
	out := bed.Target.Run("ip", "-6", "-o", "addr", "show", "dev", bed.TargetLink, "scope", "link")
	var ll netip.Addr
	for f := range strings.FieldsSeq(out) {
		if p, err := netip.ParsePrefix(f); err == nil && p.Addr().IsLinkLocalUnicast() {
			ll = p.Addr()
		}
	}
	if !ll.IsValid() {
		t.Fatalf("no link-local address on %s: %q", bed.TargetLink, out)
	}
	target := ll.WithZone(bed.ScannerLink).String()
	for _, args := range [][]string{
		{"-sT", "-Pn"},
		{"-sS", "-Pn"},
		{"-sT"},
		{"-sS"},
	} {
		out, stderr, code := runIn(t, bed.Scanner, append(append([]string{"scan", "-q", "-o", "grep"}, args...),
			"-p", "8081,8082", "--max-retries", "1", target)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		if !strings.Contains(out, "8081/open/tcp") || !strings.Contains(out, ll.String()) {
			t.Errorf("%v %s: 8081 not open:\n%s%s", args, target, out, stderr)
		}
	}
	for _, tc := range []struct{ target, want string }{
		{ll.WithZone("nosuchif0").String(), `no interface named "nosuchif0"`},
		{bed.TargetAddr6.WithZone(bed.ScannerLink).String(), "only goes with a link-local address"},
	} {
		_, stderr, code := runIn(t, bed.Scanner, "scan", "-q", "-p", "80", tc.target)
		if code != 2 || !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 and %q", tc.target, code, stderr, tc.want)
		}
	}
}

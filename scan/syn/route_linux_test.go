package syn

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The netlink messages themselves are tested in internal/netroute.

// TestRouteLookup asks this machine's kernel for the routes to its own
// loopback addresses: nothing is sent.
func TestRouteLookup(t *testing.T) {
	rs, err := openRoutes()
	if err != nil {
		t.Fatal(err)
	}
	defer rs.close()
	lo, err := netInterfaceIndex("lo")
	if err != nil {
		t.Skip("no loopback interface named lo")
	}
	for _, a := range []string{"127.0.0.1", "127.1.2.3", "::1"} {
		dst := netip.MustParseAddr(a)
		r, err, asked := rs.lookup(dst, 0, time.Now(), nil)
		if errors.Is(err, unix.ENETUNREACH) && dst.Is6() {
			continue // IPv6 disabled
		}
		if err != nil || !asked {
			t.Errorf("%s: %v, asked the kernel: %v", a, err, asked)
			continue
		}
		if !r.src.IsLoopback() || r.src.Is4() != dst.Is4() || r.ifindex != lo {
			t.Errorf("%s: %+v, want a loopback source on interface %d", a, r, lo)
		}
		again, err, asked := rs.lookup(dst, 0, time.Now(), nil)
		if err != nil || again != r || asked {
			t.Errorf("%s: looked up again: %+v, %v, asked the kernel: %v", a, again, err, asked)
		}
		own := rs.ownSocket()
		if own == nil {
			t.Fatal("no socket of its own in the prober's namespace")
		}
		mine, err := query(own, dst, 0)
		own.Close()
		if err != nil || mine != r {
			t.Errorf("%s: on a socket of its own: %+v, %v", a, mine, err)
		}
	}
}

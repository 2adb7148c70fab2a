package sockets

import (
	"context"
	"net/netip"
	"slices"
	"testing"

	"github.com/ajarsec/ajar/internal/netnstest"
)

// TestLinkReader reads a namespace's interfaces over rtnetlink: an
// unchanged namespace gives the same exposer back with no allocation; a
// new address or interface gives a new one that has it.
func TestLinkReader(t *testing.T) {
	ns := netnstest.New(t)
	var r *linkReader
	if err := ns.Do(func() (err error) {
		r, err = openLinkReader()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	read := func() *exposer {
		t.Helper()
		e, err := r.read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	e1 := read()
	if len(e1.t) != 1 || e1.t[0].name != "lo" || !e1.t[0].lo || !e1.t[0].up ||
		!slices.Equal(e1.all4, []string{"lo"}) || e1.t.byAddr(mustAddr("::1")) == nil {
		t.Fatalf("a new namespace: %+v, all4 %v", e1.t, e1.all4)
	}
	if e2 := read(); e2 != e1 {
		t.Error("an unchanged namespace built a new exposer")
	}
	if n := testing.AllocsPerRun(10, func() { read() }); n != 0 {
		t.Errorf("reading an unchanged namespace allocates %.0f times", n)
	}

	ns.Run("ip", "addr", "add", "10.9.9.9/32", "dev", "lo")
	e3 := read()
	if e3 == e1 || e3.t.byAddr(mustAddr("10.9.9.9")) == nil {
		t.Errorf("an address added on lo: %+v", e3.t)
	}
	ns.Run("ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1")
	e4 := read()
	if e4 == e3 || e4.t.byIndex(e4.t[len(e4.t)-1].index) == nil || len(e4.t) != 3 {
		t.Fatalf("two interfaces added: %+v", e4.t)
	}
	ns.Run("ip", "addr", "add", "10.9.8.1/24", "dev", "v0")
	ns.Run("ip", "link", "set", "v0", "up")
	ns.Run("ip", "link", "set", "v1", "up")
	e5 := read()
	if ifc := e5.t.byAddr(mustAddr("10.9.8.1")); ifc == nil || ifc.name != "v0" || !ifc.up ||
		!slices.Contains(e5.all4, "v0") || slices.Contains(e5.all4, "v1") {
		t.Errorf("v0 up with an address: %+v, all4 %v", e5.t, e5.all4)
	}
	ns.Run("ip", "link", "set", "v0", "down")
	if e6 := read(); e6 == e5 || e6.t.byAddr(mustAddr("10.9.8.1")).up {
		t.Error("v0 taken down: no change seen")
	}
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

package connect_test

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/scan/connect"
)

func freePort(t *testing.T, network, addr string) uint16 {
	t.Helper()
	l, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	p := uint16(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	return p
}

func TestProbeLoopback(t *testing.T) {
	w := connect.Prober{}.NewWorker()
	defer w.Close()
	ctx := context.Background()
	for _, fam := range []struct{ network, host string }{{"tcp4", "127.0.0.1"}, {"tcp6", "::1"}} {
		l, err := net.Listen(fam.network, net.JoinHostPort(fam.host, "0"))
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		open := netip.MustParseAddrPort(l.Addr().String())
		out := w.Probe(ctx, open, time.Second)
		if out.State != record.Open || out.Reason != record.ReasonConnected || out.Err != nil || out.NoAnswer {
			t.Errorf("%v: %+v, want open", open, out)
		}
		closed := netip.AddrPortFrom(open.Addr(), freePort(t, fam.network, net.JoinHostPort(fam.host, "0")))
		out = w.Probe(ctx, closed, time.Second)
		if out.State != record.Closed || out.Reason != record.ReasonConnRefused {
			t.Errorf("%v: %+v, want closed", closed, out)
		}
	}
}

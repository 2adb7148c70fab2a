package syn

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/ajarsec/ajar/internal/netnstest"
	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/scan"
)

// TestAnswerReadLate: an answer the kernel had before the probe's
// deadline counts, however late this process reads it. The test holds
// the packet socket's lock, as a starved receiver would, until well past
// a probe's deadline: the expirer reads the socket before it ends any
// probe, and finds the reset.
func TestAnswerReadLate(t *testing.T) {
	ns := netnstest.New(t)
	var closed uint16
	var p *Prober
	err := ns.Do(func() (err error) {
		// A port nothing listens on: bind one, note it, close it.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		closed = uint16(l.Addr().(*net.TCPAddr).Port)
		l.Close()
		p, err = New(Config{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	w := p.p.newSyncWorker()
	defer w.Close()
	dst := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), closed)
	w.Probe(context.Background(), dst, time.Second) // the route, cached

	p.p.rxMu.Lock()
	done := make(chan scan.Outcome, 1)
	go func() { done <- w.Probe(context.Background(), dst, 20*time.Millisecond) }()
	deadline := time.Now().Add(5 * time.Second)
	for p.p.wheel.Len() == 0 { // sent: its wait is on the wheel
		if time.Now().After(deadline) {
			p.p.rxMu.Unlock()
			t.Fatal("the probe was never sent")
		}
		time.Sleep(time.Millisecond) // polling a condition, with a deadline
	}
	// The scenario itself, not a synchronisation: nothing reads the
	// socket for ten times the probe's timeout.
	time.Sleep(200 * time.Millisecond)
	p.p.rxMu.Unlock()
	select {
	case o := <-done:
		if o.State != record.Closed || o.Reason != record.ReasonReset {
			t.Errorf("%v: %+v, want the reset the kernel had in time", dst, o)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the probe never ended")
	}
}

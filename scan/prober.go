package scan

import (
	"context"
	"net/netip"
	"time"

	"github.com/ajarsec/ajar/record"
)

// Outcome is what one probe learnt.
type Outcome struct {
	State  record.State
	Reason record.Reason
	RTT    time.Duration
	// NoAnswer is set when the wait ran out with nothing heard: the engine
	// retries, and reports the port filtered (or, for UDP, open|filtered)
	// when every retry stays silent.
	NoAnswer bool
	// Err is a local failure (no file descriptors, no buffer space, no
	// ephemeral port): the probe says nothing of the port and is tried
	// again after a pause. It is never reported as a port state.
	Err error
}

// String says what o learnt: "state/reason", "no answer", or "error: …".
func (o Outcome) String() string {
	switch {
	case o.Err != nil:
		return "error: " + o.Err.Error()
	case o.NoAnswer:
		return "no answer"
	}
	return o.State.String() + "/" + string(o.Reason)
}

// Prober is one scanning technique (connect, SYN, UDP). The engine asks it
// for one Worker per goroutine that sends probes.
type Prober interface {
	Proto() record.Proto
	NewWorker() Worker
}

// Worker sends probes for one goroutine, and may keep sockets and buffers
// from one probe to the next. Probe blocks until the answer comes, the
// timeout runs out (NoAnswer) or ctx is done.
type Worker interface {
	Probe(ctx context.Context, dst netip.AddrPort, timeout time.Duration) Outcome
	// Close releases what the worker holds.
	Close() error
}

// AsyncProber is a Prober whose probes wait for their answers without a
// goroutine each (the SYN prober: one receiver and one timing wheel serve
// every probe in flight). When every plan of a scan has one, the engine
// keeps its probes in flight as data (async.go) and asks for one
// AsyncWorker per probe it keeps in flight, in place of a goroutine and a
// Worker each.
type AsyncProber interface {
	Prober
	NewAsyncWorker() AsyncWorker
}

// AsyncWorker carries one probe at a time, started by Start and settled
// by whichever of the prober's goroutines learns its outcome.
type AsyncWorker interface {
	// Start sends a probe to dst and returns without waiting: done is
	// called once, with what a Worker's Probe would have returned, by
	// the goroutine that settles the probe (the prober's receiver or
	// timer, ctx's cancellation, the prober's Close), or by Start
	// itself when it fails before sending. done must not block. The
	// engine calls Start on a worker again only once done was called.
	Start(ctx context.Context, dst netip.AddrPort, timeout time.Duration, done func(Outcome))
	// Close releases what the worker holds; no probe of it is under way.
	Close() error
}

// Batcher is implemented by AsyncProbers whose workers can hold a
// probe's packet back, to send many in one system call: their
// AsyncWorkers implement HoldStarter. The engine's sender starts its
// probes with StartHeld, and calls Flush whenever it is about to wait
// (for a pace token, a free slot, a retry's time) and when it stops, so
// that no probe waits longer than it takes the sender to start the next
// few. A prober's batch may also go out by itself when it is full.
type Batcher interface {
	Flush()
}

// HoldStarter is an AsyncWorker of a Batcher.
type HoldStarter interface {
	// StartHeld is Start, but the probe's packet may wait for the
	// prober's Flush; done is called as for Start.
	StartHeld(ctx context.Context, dst netip.AddrPort, timeout time.Duration, done func(Outcome))
}

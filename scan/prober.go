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

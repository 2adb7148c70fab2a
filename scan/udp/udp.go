// Package udp is the UDP prober: it needs no privileges. Each probe sends
// the port's protocol payload (an empty datagram when none is known) from
// a connected UDP socket and waits: any UDP reply is "open", an ICMP port
// unreachable from the target is "closed", other ICMP unreachables are
// "filtered" with their reason, and silence is left to the engine, which
// reports "open|filtered" after its retries.
//
// Silence is ambiguous twice over: a port may be open and ignore what it
// was sent, or closed on a host that limits its ICMP errors (Linux sends
// about one port unreachable a second to each peer, after a burst of six).
// MeasureICMPLimit tells the second case apart after a scan.
//
// Prober's workers each wait for their probe on a goroutine of the
// engine's. Async (Linux) runs the same probes with no goroutine each:
// its workers' sockets are registered with one epoll instance, and one
// goroutine settles every probe in flight, when its socket hears a reply
// or an ICMP error, or its deadline, kept on a timing wheel, passes.
package udp

import (
	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/scan"
)

// Prober probes UDP ports. The zero value is ready to use: it sends an
// empty datagram to every port.
type Prober struct {
	// Payloads, when set, returns the datagrams a probe of port sends, in
	// order, and a check of replies that come from another port of the
	// host (nil: only the probed port's replies count). No datagrams
	// means the empty one. It is called on every probe: it must not
	// allocate, and the prober never writes the datagrams it returns.
	// ajar passes fingerprint.UDPPayload, the protocols' own table.
	Payloads func(port uint16) (datagrams [][]byte, otherPort func(reply []byte) bool)
}

// Proto reports record.UDP.
func (Prober) Proto() record.Proto { return record.UDP }

// NewWorker returns a worker for one goroutine. On Linux it keeps one
// socket per address family, made on the first probe of that family: in
// the network namespace of the thread that makes it.
func (p Prober) NewWorker() scan.Worker { return newWorker(p) }

var _ scan.Prober = Prober{}

// maxReply bounds the bytes read of one reply: a reply proves the port
// open, its content is not kept.
const maxReply = 512

// Async is Prober whose probes in flight are data (scan.AsyncProber):
// one event loop (epoll, and a timing wheel of deadlines) serves them
// all, with no goroutine each. Make it with NewAsync and Close it once
// the scans that use it are over.
type Async struct {
	Prober
	l *loop
}

// NewAsync starts an Async prober's loop for p's probes. It fails with an
// error wrapping errors.ErrUnsupported on systems other than Linux, where
// Prober still works.
func NewAsync(p Prober) (*Async, error) {
	l, err := newLoop(p)
	if err != nil {
		return nil, err
	}
	return &Async{Prober: p, l: l}, nil
}

// NewAsyncWorker returns a worker for one of the engine's slots of
// probes in flight: a socket per address family, opened when first
// needed and registered with the loop, reused from probe to probe as
// Prober's workers do. Closed, it goes back to the prober for the next
// engine.
func (a *Async) NewAsyncWorker() scan.AsyncWorker { return a.l.newWorker() }

// Close stops the loop: probes under way end with an error.
func (a *Async) Close() error { return a.l.close() }

var _ scan.AsyncProber = (*Async)(nil)

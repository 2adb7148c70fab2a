// Package connect is the TCP connect prober: it needs no privileges. Each
// probe is a non-blocking connect(); a completed handshake is "open", a
// reset is "closed", silence is "filtered", and ICMP errors, read from the
// socket's error queue on Linux, give the filtered port its reason.
//
// Prober's workers each wait for their probe on a goroutine of the
// engine's. Async (Linux) runs the same probes with no goroutine each:
// its workers' sockets are registered with one epoll instance, and one
// goroutine settles every probe in flight, when its socket wakes or its
// deadline, kept on a timing wheel, passes.
package connect

import (
	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/scan"
)

// Prober probes TCP ports with connect(). The zero value is ready to use.
type Prober struct{}

// Proto reports record.TCP.
func (Prober) Proto() record.Proto { return record.TCP }

// NewWorker returns a worker for one goroutine.
func (Prober) NewWorker() scan.Worker { return newWorker() }

var _ scan.Prober = Prober{}

// Async is Prober whose probes in flight are data (scan.AsyncProber):
// one epoll loop serves them all. Make it with NewAsync and Close it once
// the scans that use it are over.
type Async struct {
	Prober
	l *loop
}

// NewAsync starts an Async prober's loop. It fails with an error
// wrapping errors.ErrUnsupported on systems other than Linux, where
// Prober still works.
func NewAsync() (*Async, error) {
	l, err := newLoop()
	if err != nil {
		return nil, err
	}
	return &Async{l: l}, nil
}

// NewAsyncWorker returns a worker for one of the engine's slots of
// probes in flight: a socket per address family, opened when first
// needed and registered with the loop, reused from probe to probe after
// a refusal or a silence, as Prober's workers do. Closed, it goes back to
// the prober for the next engine.
func (a *Async) NewAsyncWorker() scan.AsyncWorker { return a.l.newWorker() }

// Close stops the loop: probes under way end with an error.
func (a *Async) Close() error { return a.l.close() }

var _ scan.AsyncProber = (*Async)(nil)

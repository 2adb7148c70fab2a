// Package syn is the TCP SYN prober ("half-open" scanning, nmap's -sS): it
// sends TCP SYNs it builds itself on a raw socket and reads the answers
// from a packet socket, so it needs root or CAP_NET_RAW. A SYN-ACK means
// "open" (the kernel, which holds no socket for it, answers with a
// reset: no connection is ever made), a reset "closed", an ICMP error
// "filtered" with its reason, and silence after every retry "filtered".
//
// One Prober serves a whole scan: one raw socket per address family to
// send, one packet socket with a kernel BPF filter and one goroutine to
// receive, and one goroutine that ends the waits whose time is up (a
// timing wheel, not a timer per probe), for all its workers. The SYNs
// of an engine's probes go out in batches, one sendmmsg each (Flush).
// Replies are checked statelessly: a SYN's sequence number is a keyed
// hash (SipHash-2-4, with a random key per Prober) of its addresses and
// ports, and a reply counts only if it acknowledges that number plus
// one, or, for ICMP errors, quotes it. The number's two low bits tell a
// port's tries apart, so that a late answer to a first try, come while
// the retry waits, counts with its own round-trip time; an answer that
// comes after its probe gave up is kept a few seconds for the next
// probe of its port (the engine's retry), which takes it without
// sending.
//
// Source ports come from a range outside the kernel's ephemeral range
// (net.ipv4.ip_local_port_range), by default the ports above it (61000-
// 65535 with Linux's default range), so that they never meet a
// connection the kernel itself makes. Source addresses come from the
// kernel's routing table, asked over netlink (RTM_GETROUTE) once per
// target host.
package syn

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/scan"
)

// Config tunes a Prober. The zero value is ready to use.
type Config struct {
	// FirstPort and LastPort bound the source ports the probes are sent
	// from. Zero picks a range outside the kernel's ephemeral range: the
	// ports above it, or below it when too few are above.
	FirstPort, LastPort uint16
}

// ErrPrivileges is wrapped by the error New and Available return when
// this process may not open raw sockets (it is not root and lacks
// CAP_NET_RAW).
var ErrPrivileges = errors.New("raw sockets need root or CAP_NET_RAW")

// Prober sends SYNs and matches their answers for every worker of a scan.
// Make it with New, and Close it once the scan is over.
type Prober struct {
	p *prober
}

var _ scan.Prober = (*Prober)(nil)

// New opens the prober's sockets and starts its receiver. It fails with
// an error wrapping ErrPrivileges without the right to open raw sockets,
// and with one wrapping errors.ErrUnsupported on systems other than Linux.
func New(cfg Config) (*Prober, error) {
	if cfg.FirstPort > cfg.LastPort {
		return nil, fmt.Errorf("syn: source ports %d-%d: first after last", cfg.FirstPort, cfg.LastPort)
	}
	if cfg.FirstPort == 0 && cfg.LastPort != 0 {
		return nil, errors.New("syn: source port 0")
	}
	p, err := newProber(cfg)
	if err != nil {
		return nil, err
	}
	return &Prober{p: p}, nil
}

// Available reports whether this process can run a SYN scan: nil, or why
// not (an error wrapping ErrPrivileges, or errors.ErrUnsupported).
func Available() error { return available() }

// Proto reports record.TCP.
func (*Prober) Proto() record.Proto { return record.TCP }

// NewWorker returns a worker for one of the engine's goroutines. Workers
// share the prober's sockets; each owns a source port (several workers
// may share one when there are more workers than ports).
func (p *Prober) NewWorker() scan.Worker { return p.p.newSyncWorker() }

// Start sends one SYN to dst and returns without waiting for the answer:
// done is called once, with what a worker's Probe would have returned,
// by whichever of the prober's goroutines settles the probe (the
// receiver, the one that ends waits, a send's caller, Close or ctx's
// cancellation), or by Start itself when it fails before sending. A
// probe in flight costs no goroutine, only a few hundred bytes, so a
// caller may keep many more of them in flight than it could keep
// workers. done must not block; it may call Start.
func (p *Prober) Start(ctx context.Context, dst netip.AddrPort, timeout time.Duration, done func(scan.Outcome)) {
	p.p.start(ctx, dst, timeout, done)
}

// NewAsyncWorker returns a worker for one of the engine's slots of probes
// in flight (scan.AsyncProber): it starts probes without a goroutine
// each. Workers come from, and go back to on Close, a free list the
// prober keeps, so that the engines of a scan's host groups reuse them.
func (p *Prober) NewAsyncWorker() scan.AsyncWorker { return p.p.newAsyncWorker() }

var _ scan.AsyncProber = (*Prober)(nil)

// Flush sends the SYNs that probes started by NewAsyncWorker's workers
// left queued (scan.Batcher): those go out many a system call
// (sendmmsg), when the engine's sender is about to wait, or when a batch
// is full.
func (p *Prober) Flush() { p.p.flush() }

var _ scan.Batcher = (*Prober)(nil)

// Close stops the receiver and closes the sockets. Probes still under way
// end with an error; the workers' own Close may come before or after.
func (p *Prober) Close() error { return p.p.close() }

// SourcePorts reports the range of source ports the prober sends from.
func (p *Prober) SourcePorts() (first, last uint16) { return p.p.lo, p.p.hi }

// Stats counts what a prober's receiver saw.
type Stats struct {
	// Received is the packets the kernel's filter passed to us; Matched,
	// those that answered one of our SYNs.
	Received, Matched uint64
	// Late is the answers that came when no probe waited for them any
	// more: after its timeout (the path is slower than the timeouts
	// allow), or a second time.
	Late uint64
	// Rescued is the late answers a later probe of the same port took
	// (the engine's retry): an answer that comes after its probe gave
	// up is kept for a few seconds, and the next probe of its port is
	// settled with it, without sending. Late minus Rescued is answers
	// that came too late to count, or twice: ports that may have been
	// reported filtered for want of a longer timeout.
	Rescued uint64
	// NoBuffers is the sends the kernel refused for want of buffer space
	// (ENOBUFS: a full queue on the way out; EAGAIN: a full socket
	// buffer); each was tried again after a pause.
	NoBuffers uint64
	// Dropped is the packets the kernel dropped because the receive
	// queue was full: answers lost, which probes then wait for in vain.
	Dropped uint64
}

// Stats reports the receiver's counts so far.
func (p *Prober) Stats() Stats { return p.p.stats() }

// defaultParallel is the probes in flight a SYN scan keeps by default:
// each costs the engine a slot and this prober a worker (together under
// a kilobyte), no goroutine and no file descriptor, and silent ports hold
// them for their whole timeout, so more of them make a scan of filtered
// ports that much faster.
const defaultParallel = 25000

// DefaultParallel implements scan.Parallelizer.
func (*Prober) DefaultParallel() int { return defaultParallel }

var _ scan.Parallelizer = (*Prober)(nil)

// Package scan is ajar's scan engine: it walks the (host, port) space in a
// deterministic pseudo-random order, hands each probe to a Prober (connect,
// SYN, UDP), paces and retries them, adapts timeouts to each host's
// measured round-trip time, and streams one record.PortResult per port.
//
// What holds a probe in flight depends on the prober. When every plan's
// prober is an AsyncProber (SYN: syn.Prober; on Linux, TCP connect:
// connect.Async, and UDP: udp.Async), a probe in flight is data: a slot
// of the engine's table (async.go; 168 bytes and a 24-byte done
// callback, made a chunk at a time up to the parallelism) and the
// prober's own record of it (SYN: a worker of 256 bytes, its deadline on
// a timing wheel, 16 bytes; connect and UDP: a
// worker with its non-blocking socket, registered once with the prober's
// epoll instance (scan/internal/evloop), and its deadline on a wheel).
// A fixed set of goroutines runs the scan, however many probes are in
// flight:
//
//   - the engine's sender, which takes pace tokens and starts tries,
//     retries first; for a Batcher (SYN) it starts them held and flushes
//     them (one sendmmsg a batch) before it waits;
//   - the goroutine that called Run, which settles the tries the prober
//     reports done, emits the results and queues retries;
//   - the pacer's server, which hands tokens to waiters queued by the
//     goroutine-per-probe path (idle on the async path);
//   - the prober's own: SYN, a receiver (the packet socket, many frames
//     a recvmmsg) and an expirer (the wheel); connect and UDP, one loop
//     on epoll_wait that settles probes by their socket's wake-up or
//     their deadline, and one that passes the wheel's wake-ups to it.
//
// A prober watches each context its probes run under once (one
// context.AfterFunc for all its workers, cancelwatch.Group), not once a
// worker.
//
// Otherwise (connect or UDP off Linux, a mix with such a prober) a probe
// in flight is a worker goroutine blocked in Worker.Probe, with its
// socket: workers are started as handoffs wait, up to the parallelism,
// and the same pacer, retries and timeouts apply.
package scan

import "github.com/ajarsec/ajar/record"

// lossSignal reports whether an answer with this reason, to a retry of a
// probe whose first try went unanswered, shows that the path lost a
// packet: any answer but an ICMP error, which hosts send only at a
// limited rate.
func lossSignal(r record.Reason) bool {
	switch r {
	case record.ReasonSynAck, record.ReasonConnected, record.ReasonReset, record.ReasonConnRefused, record.ReasonUDPResponse:
		return true
	}
	return false
}

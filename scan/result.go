// Package scan is ajar's scan engine: it walks the (host, port) space in a
// deterministic pseudo-random order, hands each probe to a Prober (connect,
// SYN, UDP), paces and retries them, adapts timeouts to each host's
// measured round-trip time, and streams one record.PortResult per port.
//
// What holds a probe in flight depends on the prober. When every plan's
// prober is an AsyncProber (the SYN prober), a probe in flight is data: a
// slot of a table (async.go; about 230 bytes, made a chunk at a time up
// to the parallelism) and the prober's own record of it (a few hundred
// bytes: its SYN, its deadline on a timing wheel). A fixed set of
// goroutines runs the scan, however many probes are in flight: the
// engine's sender, which takes pace tokens and starts tries, retries
// first; the goroutine that called Run, which settles the tries the
// prober reports done, emits the results and queues retries; and the
// prober's receiver and timer, which settle tries by their answer or
// their deadline. Otherwise (connect, UDP) a probe in flight is a worker
// goroutine blocked in Worker.Probe, with its socket: workers are started
// as handoffs wait, up to the parallelism, and the same pacer, retries
// and timeouts apply.
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

// Package scan is ajar's scan engine: it walks the (host, port) space in a
// deterministic pseudo-random order, hands each probe to a Prober (connect,
// and later SYN and UDP), paces and retries them, adapts timeouts to each
// host's measured round-trip time, and streams one record.PortResult per port.
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

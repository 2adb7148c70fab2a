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

package udp

// A UDP service stays silent unless it understands what it is sent, so a
// probe to a well-known port should carry a request of that service's
// protocol: any reply at all, an error included, proves the port open.
// This package knows no protocol: the requests come from Prober.Payloads
// (in ajar, fingerprint.UDPPayload, where each protocol's package declares
// its own), and a port without one gets an empty datagram, which some
// services (echo, daytime, chargen) answer.

// payload is what one probe sends.
type payload struct {
	datagrams [][]byte
	// otherPort, when set, accepts a datagram that came from another port
	// of the probed host, if it looks like the service's answer (TFTP
	// answers from a fresh port). Without it, only replies from the
	// probed port count.
	otherPort func(reply []byte) bool
}

// emptyDatagram is sent to every port no payload claims.
var emptyDatagram = [][]byte{{}}

// payloadFor returns what a probe of port sends, without allocating: the
// Payloads table's datagrams, or the empty datagram.
func (p Prober) payloadFor(port uint16) payload {
	if p.Payloads != nil {
		if ds, other := p.Payloads(port); len(ds) > 0 {
			return payload{datagrams: ds, otherPort: other}
		}
	}
	return payload{datagrams: emptyDatagram}
}

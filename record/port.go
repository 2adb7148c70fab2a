package record

import (
	"fmt"
	"net/netip"
	"time"
)

// State is what a probe learnt of a port, with nmap's names.
type State uint8

// The port states.
const (
	StateUnknown State = iota
	Open
	Closed
	Filtered
	OpenFiltered // UDP silence: open, or dropped on the way
	Unfiltered
)

var stateNames = [...]string{
	StateUnknown: "unknown",
	Open:         "open",
	Closed:       "closed",
	Filtered:     "filtered",
	OpenFiltered: "open|filtered",
	Unfiltered:   "unfiltered",
}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// MarshalText implements encoding.TextMarshaler.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *State) UnmarshalText(b []byte) error {
	for i, n := range stateNames {
		if n == string(b) {
			*s = State(i)
			return nil
		}
	}
	return fmt.Errorf("unknown port state %q", b)
}

// Reason says why a port got its state, with nmap's words where nmap has
// one.
type Reason string

// The reasons probers give.
const (
	ReasonSynAck          Reason = "syn-ack"          // raw SYN answered by SYN-ACK
	ReasonConnected       Reason = "connected"        // connect() succeeded
	ReasonReset           Reason = "reset"            // raw SYN answered by RST
	ReasonConnRefused     Reason = "conn-refused"     // connect() refused by RST
	ReasonNoResponse      Reason = "no-response"      // silence after every retry
	ReasonHostUnreach     Reason = "host-unreach"     // ICMP host unreachable
	ReasonNetUnreach      Reason = "net-unreach"      // ICMP network unreachable
	ReasonPortUnreach     Reason = "port-unreach"     // ICMP port unreachable
	ReasonProtoUnreach    Reason = "proto-unreach"    // ICMP protocol unreachable
	ReasonAdminProhibited Reason = "admin-prohibited" // ICMP administratively prohibited
	ReasonUDPResponse     Reason = "udp-response"     // a UDP reply
)

// PortResult is the record of one probed port: what every output reads.
type PortResult struct {
	Host     netip.Addr
	Hostname string // the name the user gave, when the host came from one
	Port     uint16
	Proto    Proto
	State    State
	Reason   Reason
	// RTT is the round-trip time of the answer that decided the state; 0
	// when there was none.
	RTT     time.Duration
	Service *Service
	// Findings are the risks the audit found behind the port, worst
	// first; nil when there was no audit or it found nothing.
	Findings []Finding `json:"findings,omitempty"`
}

// Kind implements Record.
func (*PortResult) Kind() string { return "port" }

package record

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"time"
)

// HostState is whether a host is up.
type HostState uint8

// The host states.
const (
	HostUnknown HostState = iota
	Up
	Down
)

var hostStateNames = [...]string{HostUnknown: "unknown", Up: "up", Down: "down"}

func (s HostState) String() string {
	if int(s) < len(hostStateNames) {
		return hostStateNames[s]
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// MarshalText implements encoding.TextMarshaler.
func (s HostState) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *HostState) UnmarshalText(b []byte) error {
	for i, n := range hostStateNames {
		if n == string(b) {
			*s = HostState(i)
			return nil
		}
	}
	return fmt.Errorf("unknown host state %q", b)
}

// The reasons host discovery gives, besides the port reasons (syn-ack,
// reset, conn-refused, no-response and the ICMP errors), in nmap's words
// where nmap has them.
const (
	ReasonEchoReply      Reason = "echo-reply"         // ICMP or ICMPv6 echo reply
	ReasonTimestampReply Reason = "timestamp-reply"    // ICMP timestamp reply
	ReasonARPResponse    Reason = "arp-response"       // ARP reply on a local link
	ReasonNDAdvert       Reason = "nd-advert"          // NDP neighbour advertisement on a local link
	ReasonLocalhost      Reason = "localhost-response" // an address of this machine
	ReasonNoRoute        Reason = "no-route"           // the routing table has no way there
	ReasonBroadcast      Reason = "broadcast"          // a broadcast or multicast address: no one host
	// ReasonUserSet: the host was not discovered but taken as up, as it
	// was named alone or scanned without discovery (-Pn), nmap's word.
	ReasonUserSet Reason = "user-set"
)

// MAC is a 48-bit Ethernet address, as ARP and NDP replies give it.
type MAC [6]byte

// IsZero reports whether m is unset.
func (m MAC) IsZero() bool { return m == MAC{} }

// String writes m as 00:11:22:aa:bb:cc, or "" when it is zero.
func (m MAC) String() string {
	if m.IsZero() {
		return ""
	}
	b := make([]byte, 0, 17)
	for i, c := range m {
		if i > 0 {
			b = append(b, ':')
		}
		b = hex.AppendEncode(b, []byte{c})
	}
	return string(b)
}

// MarshalText implements encoding.TextMarshaler.
func (m MAC) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler: six hex octets
// separated by colons, or nothing for the zero MAC.
func (m *MAC) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*m = MAC{}
		return nil
	}
	if len(b) != 17 {
		return fmt.Errorf("bad MAC address %q", b)
	}
	var out MAC
	for i := range out {
		if i > 0 && b[3*i-1] != ':' {
			return fmt.Errorf("bad MAC address %q", b)
		}
		if _, err := hex.Decode(out[i:i+1], b[3*i:3*i+2]); err != nil {
			return fmt.Errorf("bad MAC address %q", b)
		}
	}
	*m = out
	return nil
}

// Host is what discovery learnt of one target: the record every output
// reads.
type Host struct {
	Addr netip.Addr
	// Name is the hostname the address came from, when the targets
	// remember one.
	Name   string
	State  HostState
	Reason Reason
	// RTT is the time from the probe to the answer that decided the
	// state; 0 when there was none.
	RTT time.Duration
	// MAC is the host's Ethernet address when ARP or NDP found it.
	MAC MAC
	// TimedOut is the host timeout (nmap's --host-timeout) that ended
	// the host's port scan early, and Unprobed the probes (host × port)
	// it left unsent; both zero for a host scanned whole.
	TimedOut time.Duration
	Unprobed uint64
}

// Kind implements Record.
func (*Host) Kind() string { return "host" }

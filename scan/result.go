// Package scan is ajar's scan engine: it walks the (host, port) space in a
// deterministic pseudo-random order, hands each probe to a Prober (connect,
// and later SYN and UDP), paces and retries them, adapts timeouts to each
// host's measured round-trip time, and streams one Result per port.
package scan

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/ajarsec/ajar/portspec"
)

// Proto is a transport protocol: the one portspec defines, so that port
// specs, scans and sockets speak of the same TCP and UDP.
type Proto = portspec.Proto

// The scanned protocols.
const (
	TCP = portspec.TCP
	UDP = portspec.UDP
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

// Service is what is known of the service behind a port. The scan fills
// Name from the port table (Method "port-table"); service identification
// fills the rest.
type Service struct {
	Name       string   `json:"name"`
	Product    string   `json:"product,omitempty"`
	Version    string   `json:"version,omitempty"`
	ExtraInfo  string   `json:"extrainfo,omitempty"`
	CPE        []string `json:"cpe,omitempty"`
	Confidence int      `json:"confidence"`
	Method     string   `json:"method"`
	Banner     string   `json:"banner,omitempty"`
	// Tunnel is "ssl" when the service runs inside TLS from the first
	// byte (https, imaps), as nmap writes it.
	Tunnel string `json:"tunnel,omitempty"`
	// TLS describes the TLS session, implicit or after STARTTLS.
	TLS *TLS `json:"tls,omitempty"`
}

// TLS is what a TLS handshake showed of a service.
type TLS struct {
	Version     string `json:"version"` // TLSv1.3, TLSv1.2, ...
	CipherSuite string `json:"cipher_suite"`
	ALPN        string `json:"alpn,omitempty"`
	// StartTLS names the command that upgraded a cleartext session
	// (STARTTLS, STLS); empty for implicit TLS.
	StartTLS string `json:"starttls,omitempty"`
	// JA3S is the MD5 of JA3SString, the server's hello in the JA3S form
	// "version,cipher,extensions".
	JA3S       string       `json:"ja3s"`
	JA3SString string       `json:"ja3s_string"`
	Cert       *Certificate `json:"certificate,omitempty"`
}

// Certificate is the leaf certificate a TLS server presented.
type Certificate struct {
	Subject    string    `json:"subject"`
	SANs       []string  `json:"sans,omitempty"`
	Issuer     string    `json:"issuer"`
	NotBefore  time.Time `json:"not_before"`
	NotAfter   time.Time `json:"not_after"`
	SelfSigned bool      `json:"self_signed"`
	Expired    bool      `json:"expired"`
	KeyType    string    `json:"key_type"` // RSA, ECDSA, Ed25519
	KeyBits    int       `json:"key_bits"`
	SHA256     string    `json:"sha256"` // fingerprint of the DER certificate
}

// Result is the record of one probed port: what every output reads.
type Result struct {
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
}

// lossSignal reports whether an answer with this reason, to a retry of a
// probe whose first try went unanswered, shows that the path lost a
// packet: any answer but an ICMP error, which hosts send only at a
// limited rate.
func (r Reason) lossSignal() bool {
	switch r {
	case ReasonSynAck, ReasonConnected, ReasonReset, ReasonConnRefused, ReasonUDPResponse:
		return true
	}
	return false
}

package portspec

import "fmt"

// Proto is a transport protocol. record.Proto and sockets.Proto are this
// type.
type Proto uint8

// The protocols a port list can name.
const (
	TCP Proto = iota + 1
	UDP
)

func (p Proto) String() string {
	switch p {
	case TCP:
		return "tcp"
	case UDP:
		return "udp"
	}
	return fmt.Sprintf("proto(%d)", uint8(p))
}

// valid reports whether p is TCP or UDP.
func (p Proto) valid() bool { return p == TCP || p == UDP }

// MarshalText implements encoding.TextMarshaler.
func (p Proto) MarshalText() ([]byte, error) {
	if !p.valid() {
		return nil, fmt.Errorf("unknown protocol %d", uint8(p))
	}
	return []byte(p.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (p *Proto) UnmarshalText(b []byte) error {
	switch string(b) {
	case "tcp":
		*p = TCP
	case "udp":
		*p = UDP
	default:
		return fmt.Errorf("unknown protocol %q", b)
	}
	return nil
}

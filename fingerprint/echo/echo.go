// Package echo recognises Echo servers (RFC 862): whatever the client
// sends comes back unchanged. A service that greets is not one, and the
// line sent is one no other protocol answers with itself.
package echo

import (
	"bytes"
	"context"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

// Rarity 9: an echo comes back to every probe, so every other protocol
// has had its chance to fail on it first.
func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "echo", Proto: portspec.TCP, Ports: []uint16{7}, Rarity: 9}
}

// Probe is the line sent: printable, with a word no protocol answers.
var Probe = []byte("ajar echo probe 7f3a\r\n")

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	if c.Banner() != nil {
		return nil, fingerprint.ErrNoMatch
	}
	b, err := c.Exchange(Probe, fingerprint.UntilLen(len(Probe)), 2*len(Probe))
	if err != nil && len(b) < len(Probe) {
		if len(b) == 0 {
			return nil, err
		}
		return nil, fingerprint.ErrNoMatch
	}
	return Parse(b)
}

// Parse reports an echo when b is the probe, unchanged.
func Parse(b []byte) (*record.Service, error) {
	if !bytes.Equal(b, Probe) {
		return nil, fingerprint.ErrNoMatch
	}
	return &record.Service{Name: "echo", Confidence: 9}, nil
}

// UDP (RFC 862): each datagram comes back unchanged. Rarity 9 here too:
// every other protocol's probe comes back as well, and must fail first.
func init() {
	fingerprint.RegisterUDP(fingerprint.UDPProbe{Name: "echo", Ports: []uint16{7}, Datagrams: [][]byte{Probe}, Rarity: 9,
		AnyDatagram: func(sent, reply []byte) (*record.Service, error) {
			if len(sent) == 0 || !bytes.Equal(sent, reply) {
				return nil, fingerprint.ErrNoMatch
			}
			return &record.Service{Name: "echo", Confidence: 9}, nil
		}}, Parse)
}

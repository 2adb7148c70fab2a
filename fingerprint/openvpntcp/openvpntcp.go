// Package openvpntcp recognises OpenVPN servers over TCP (proto
// tcp-server): the packets of the OpenVPN wire protocol, each after a
// two-byte length. The client's P_CONTROL_HARD_RESET_CLIENT_V2 (package
// openvpn's, without tls-auth) is answered by the server's hard reset,
// which acknowledges our packet and names our session ID; a server with
// tls-auth or tls-crypt drops it and closes, and stays unnamed.
package openvpntcp

import (
	"context"
	"encoding/binary"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/internal/ask"
	"github.com/ajarsec/ajar/fingerprint/openvpn"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "openvpn", Proto: portspec.TCP, Ports: []uint16{1194}, Rarity: 8}
}

// maxPacket bounds the server's first packet (a hard reset is 26 bytes,
// more with a longer ACK array or a peer-info payload).
const maxPacket = 1024

// Request is the client's hard reset after its length.
func Request() []byte {
	p := openvpn.HardReset()
	return append(binary.BigEndian.AppendUint16(nil, uint16(len(p))), p...)
}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := ask.Exchange(c, Request(), whole, maxPacket)
	if err != nil {
		return nil, err
	}
	return Parse(b)
}

// whole is a ReadUntil test: the first packet arrived whole.
func whole(b []byte) bool { return len(b) >= 2 && len(b) >= 2+int(binary.BigEndian.Uint16(b)) }

// Parse reads the server's first packet, after its length: the hard
// reset openvpn.Parse judges. A retransmission may follow it.
func Parse(b []byte) (*record.Service, error) {
	if len(b) < 2 {
		return nil, fingerprint.ErrNoMatch
	}
	n := int(binary.BigEndian.Uint16(b))
	if n == 0 || len(b) < 2+n {
		return nil, fingerprint.ErrNoMatch
	}
	svc, err := openvpn.Parse(b[2 : 2+n])
	if err != nil {
		return nil, fingerprint.ErrNoMatch
	}
	return svc, nil
}

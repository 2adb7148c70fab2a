// Package openvpn recognises OpenVPN servers over UDP by the client's
// first packet, P_CONTROL_HARD_RESET_CLIENT_V2, as the OpenVPN wire
// protocol (the "OpenVPN Wire Protocol" document, openvpn-rfc) defines it
// without tls-auth: a server without tls-auth or tls-crypt answers with
// its own hard reset, which acknowledges our packet and names our session
// ID. A server with tls-auth or tls-crypt drops a packet without its HMAC
// and stays silent: that is by design, and it stays open|filtered.
package openvpn

import (
	"encoding/binary"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/record"
)

const (
	name   = "openvpn"
	port   = 1194
	rarity = 6
	// The opcodes (in a packet's high five bits).
	opHardResetClientV2 = 7
	opHardResetServerV2 = 8
	opAckV1             = 5
	// sessionID is our session ID: any eight bytes.
	sessionID = "ajar-ovp"
	// maxAcks bounds the ACK array (OpenVPN sends at most 8).
	maxAcks = 8
)

func init() {
	fingerprint.RegisterUDP(fingerprint.UDPProbe{Name: name, Ports: []uint16{port}, Datagrams: [][]byte{HardReset()}, Rarity: rarity}, Parse)
}

// HardReset is P_CONTROL_HARD_RESET_CLIENT_V2 without tls-auth: the
// opcode in the high five bits and key ID 0, our session ID, an empty
// ACK array (its length byte 0), and message packet ID 0.
func HardReset() []byte {
	b := []byte{opHardResetClientV2 << 3}
	b = append(b, sessionID...)
	b = append(b, 0)
	return binary.BigEndian.AppendUint32(b, 0)
}

// Parse reads the server's answer to HardReset: P_CONTROL_HARD_RESET_
// SERVER_V2 (or a bare P_ACK_V1) with its own session ID, an ACK array of
// one to eight packet IDs, and then our session ID as the remote one.
// Anything else is ErrNoMatch.
func Parse(b []byte) (*record.Service, error) {
	if len(b) < 10 {
		return nil, fingerprint.ErrNoMatch
	}
	op := b[0] >> 3
	if op != opHardResetServerV2 && op != opAckV1 {
		return nil, fingerprint.ErrNoMatch
	}
	acks := int(b[9])
	rest := b[10:]
	if acks < 1 || acks > maxAcks || len(rest) < 4*acks+8 {
		return nil, fingerprint.ErrNoMatch
	}
	rest = rest[4*acks:]
	if string(rest[:8]) != sessionID {
		return nil, fingerprint.ErrNoMatch
	}
	if op == opHardResetServerV2 && len(rest) < 8+4 {
		return nil, fingerprint.ErrNoMatch // its own message packet ID
	}
	return &record.Service{Name: name, Confidence: 9, ExtraInfo: "no tls-auth"}, nil
}

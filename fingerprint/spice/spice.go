// Package spice recognises SPICE remote display servers (QEMU/KVM
// consoles) by the link stage of the SPICE protocol: the client sends a
// link header ("REDQ", protocol 2.2, size) and a link message for the
// main channel; the server answers with a link header and a link reply
// (an error code, a 162-byte RSA public key, its capabilities), whose
// sizes must all agree.
package spice

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/internal/ask"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "spice", Proto: portspec.TCP, Ports: []uint16{5930}, Rarity: 8}
}

const (
	magic     = "REDQ"
	headerLen = 16
	// replyFixed is the link reply without capabilities: error, public
	// key, the two capability counts and their offset.
	replyFixed = 4 + 162 + 12
	maxAnswer  = 4096
)

// Request is the link header and link message of a client asking for
// the main channel (type 1) of connection 0, with one word of common
// capabilities (auth selection, mini header) and one of the main
// channel's.
func Request() []byte {
	le := binary.LittleEndian
	b := []byte(magic)
	b = le.AppendUint32(b, 2)
	b = le.AppendUint32(b, 2)
	b = le.AppendUint32(b, 26)
	b = le.AppendUint32(b, 0) // connection id
	b = append(b, 1, 0)       // main channel, id 0
	b = le.AppendUint32(b, 1)
	b = le.AppendUint32(b, 1)
	b = le.AppendUint32(b, 18) // caps offset from the message's start
	b = le.AppendUint32(b, 0x09)
	return le.AppendUint32(b, 0x0f)
}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := ask.Exchange(c, Request(), whole, maxAnswer)
	if err != nil {
		return nil, err
	}
	return Parse(b)
}

// whole is a ReadUntil test: the header's size says it all arrived.
func whole(b []byte) bool {
	return len(b) >= headerLen && uint64(len(b)) >= headerLen+uint64(binary.LittleEndian.Uint32(b[12:]))
}

// linkErrors are the link errors of the protocol, by code.
var linkErrors = []string{"ok", "error", "invalid magic", "invalid data", "version mismatch", "needs TLS",
	"needs plain connection", "permission denied", "bad connection id", "channel not available"}

// Parse reads the answer to Request: a link header, then a link reply of
// exactly the size it gives, whose capabilities fill the rest.
func Parse(b []byte) (*record.Service, error) {
	le := binary.LittleEndian
	if len(b) < headerLen+replyFixed || string(b[:4]) != magic {
		return nil, fingerprint.ErrNoMatch
	}
	major, minor, size := le.Uint32(b[4:]), le.Uint32(b[8:]), le.Uint32(b[12:])
	reply := b[headerLen:]
	if uint64(size) != uint64(len(reply)) || major == 0 || major > 99 || minor > 99 {
		return nil, fingerprint.ErrNoMatch
	}
	code := le.Uint32(reply)
	common, channel, offset := le.Uint32(reply[166:]), le.Uint32(reply[170:]), le.Uint32(reply[174:])
	caps := uint64(common) + uint64(channel)
	if int(code) >= len(linkErrors) || offset != replyFixed || uint64(replyFixed)+4*caps != uint64(size) {
		return nil, fingerprint.ErrNoMatch
	}
	info := fmt.Sprintf("protocol %d.%d", major, minor)
	if code != 0 {
		info += "; link " + linkErrors[code]
	}
	return &record.Service{Name: "spice", Confidence: 10, ExtraInfo: info}, nil
}

// Package ignite recognises Apache Ignite 2.x nodes by the handshake of
// their thin client protocol ("Binary Client Protocol", little-endian):
// asked for a protocol version no node has (9.9.9), a node refuses the
// handshake with the newest version it speaks and an error message, as
// a typed string; an answer of success to that version is no node's.
package ignite

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/internal/banner"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "ignite", Proto: portspec.TCP, Ports: []uint16{10800}, Rarity: 9}
}

const (
	opHandshake = 1
	clientThin  = 2
	typeString  = 9
	// askVersion is the major (and minor and patch) version asked.
	askVersion = 9
	answerMax  = 2048
)

// Handshake asks for protocol 9.9.9 as a thin client.
func Handshake() []byte {
	b := binary.LittleEndian.AppendUint32(nil, 8)
	b = append(b, opHandshake)
	for range 3 {
		b = binary.LittleEndian.AppendUint16(b, askVersion)
	}
	return append(b, clientThin)
}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := c.Exchange(Handshake(), messageDone, answerMax)
	svc, perr := Parse(b)
	if perr != nil && len(b) == 0 && err != nil {
		return nil, err
	}
	return svc, perr
}

// messageDone is a ReadUntil test: a whole message by its length.
func messageDone(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	n := binary.LittleEndian.Uint32(b)
	return n > answerMax || uint64(len(b)) >= 4+uint64(n)
}

// Parse reads the answer to Handshake: length, success 0, the node's
// protocol version (three shorts), the message (a string of type 9, not
// empty), and in newer nodes a 32-bit error code.
func Parse(b []byte) (*record.Service, error) {
	if len(b) < 12 || uint64(binary.LittleEndian.Uint32(b)) != uint64(len(b)-4) || b[4] != 0 {
		return nil, fingerprint.ErrNoMatch
	}
	major, minor, patch := binary.LittleEndian.Uint16(b[5:]), binary.LittleEndian.Uint16(b[7:]), binary.LittleEndian.Uint16(b[9:])
	if major == 0 || major >= askVersion || minor > 100 || patch > 100 {
		return nil, fingerprint.ErrNoMatch
	}
	rest := b[11:]
	var msg string
	switch rest[0] {
	case typeString:
		if len(rest) < 5 || uint64(binary.LittleEndian.Uint32(rest[1:])) > uint64(len(rest)-5) {
			return nil, fingerprint.ErrNoMatch
		}
		n := binary.LittleEndian.Uint32(rest[1:])
		msg, rest = string(rest[5:5+n]), rest[5+n:]
		if msg == "" || !banner.IsText(msg) {
			return nil, fingerprint.ErrNoMatch
		}
	default:
		return nil, fingerprint.ErrNoMatch
	}
	if len(rest) != 0 && len(rest) != 4 {
		return nil, fingerprint.ErrNoMatch
	}
	extra := fmt.Sprintf("thin client protocol %d.%d.%d; %s", major, minor, patch, fingerprint.Printable([]byte(msg), 80))
	return &record.Service{Name: "ignite", Product: "Apache Ignite", ExtraInfo: extra, Confidence: 10,
		CPE: []string{fingerprint.CPE("apache", "ignite", "")}}, nil
}

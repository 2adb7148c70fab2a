// Package rtmp recognises RTMP servers (Adobe's Real-Time Messaging
// Protocol specification, section 5.2, the handshake): the client sends
// C0 (version 3) and C1 (time, zero, 1528 random bytes); the server
// answers S0 (version 3), S1, and S2, which echoes C1's random bytes.
// The echo of our random bytes after a whole S1 names the service: an
// echo server sends C1 back once, not after 1536 bytes of its own.
package rtmp

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/internal/ask"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "rtmp", Proto: portspec.TCP, Ports: []uint16{1935}, Rarity: 8}
}

const (
	version = 3
	// chunk is the size of C1, S1 and S2.
	chunk = 1536
	// answerLen is S0, S1 and S2.
	answerLen = 1 + 2*chunk
)

// Hello is C0 and C1 with the random bytes of c1rand (1528 bytes): time
// and the zero field 0, which asks for the plain handshake, not the
// digest one that would not echo C1.
func Hello(c1rand []byte) []byte {
	b := make([]byte, 1+chunk)
	b[0] = version
	copy(b[9:], c1rand)
	return b
}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	random := make([]byte, chunk-8)
	if _, err := rand.Read(random); err != nil {
		return nil, fmt.Errorf("rtmp: random bytes for C1: %w", err)
	}
	hello := Hello(random)
	b, err := ask.Exchange(c, hello, fingerprint.UntilLen(answerLen), answerLen)
	if err != nil {
		return nil, err
	}
	return Parse(hello[1:], b)
}

// Parse reads the answer to C0 and C1 (c1, without C0): S0 of version 3,
// S1, and an S2 whose random bytes are C1's.
func Parse(c1, b []byte) (*record.Service, error) {
	if len(c1) != chunk || len(b) != answerLen || b[0] != version || !bytes.Equal(b[1+chunk+8:], c1[8:]) {
		return nil, fingerprint.ErrNoMatch
	}
	return &record.Service{Name: "rtmp", Confidence: 10, ExtraInfo: "plain handshake"}, nil
}

// Package timeproto recognises Time Protocol servers (RFC 868): on
// connection the server sends the time as 32 bits, seconds since
// 1900-01-01 00:00 UTC, big-endian, and closes. Four bytes are a shape
// only: they must also be the time now, within a day.
package timeproto

import (
	"context"
	"encoding/binary"
	"time"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "time", Proto: portspec.TCP, Ports: []uint16{37}, ServerFirst: true, Rarity: 9}
}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	return Parse(c.Banner(), time.Now())
}

// epoch1900 is the Unix time of RFC 868's epoch, 1900-01-01 00:00 UTC.
const epoch1900 = -2208988800

// skew is how far the server's clock may be from ours.
const skew = 24 * time.Hour

// Parse reads what the server sent: exactly four bytes, the time within a
// day of now. The 32-bit count wraps in 2036 (RFC 868 leaves that to the
// reader): the reading nearest now is taken.
func Parse(b []byte, now time.Time) (*record.Service, error) {
	if len(b) != 4 {
		return nil, fingerprint.ErrNoMatch
	}
	secs := int64(binary.BigEndian.Uint32(b)) + epoch1900
	for _, t := range []int64{secs, secs + 1<<32} {
		if d := now.Sub(time.Unix(t, 0)); d < skew && d > -skew {
			return &record.Service{Name: "time", Confidence: 8}, nil
		}
	}
	return nil, fingerprint.ErrNoMatch
}

// UDP (RFC 868): an empty datagram asks; the answer is the same four
// bytes. A datagram of one byte is sent, since some stacks drop empty
// ones, and servers read none of it.
func init() {
	parse := func(b []byte) (*record.Service, error) { return Parse(b, time.Now()) }
	fingerprint.RegisterUDP(fingerprint.UDPProbe{Name: "time", Ports: []uint16{37}, Datagrams: [][]byte{{'\n'}}, Rarity: 9,
		AnyDatagram: func(_, reply []byte) (*record.Service, error) { return parse(reply) }}, parse)
}

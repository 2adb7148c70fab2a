// Package dnp3 recognises DNP3 outstations (IEEE 1815) over TCP by the
// data link layer: a Request Link Status frame (start bytes 05 64,
// length, control, destination, source, header CRC) is answered by a
// secondary frame addressed back to us whose header CRC is DNP3's. The
// outstation's address is unknown, and it ignores frames for others: the
// plugin sends one request to each of the addresses outstations use by
// default, and to the self address 0xFFFC.
package dnp3

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
	return fingerprint.Info{Name: "dnp3", Proto: portspec.TCP, Ports: []uint16{20000}, Rarity: 8}
}

const (
	headerLen = 10
	// master is our (source) address: the master address outstations
	// expect by default.
	master = 1
	// Link function codes: a primary frame's Request Link Status, and a
	// secondary frame's answers.
	fnRequestLinkStatus = 9
	fnAck               = 0
	fnNack              = 1
	fnLinkStatus        = 11
	fnNotSupported      = 15
	// Control bits: direction (from the master) and primary.
	ctlDIR    = 0x80
	ctlPRM    = 0x40
	maxAnswer = 512
)

// outstations are the destination addresses asked: opendnp3's default,
// 1, 10, and the self address.
var outstations = []uint16{1024, 1, 10, 0xfffc}

// Frame is a header-only link frame with its CRC.
func Frame(control byte, dst, src uint16) []byte {
	b := []byte{0x05, 0x64, 5, control, byte(dst), byte(dst >> 8), byte(src), byte(src >> 8), 0, 0}
	binary.LittleEndian.PutUint16(b[8:], CRC(b[:8]))
	return b
}

// Request is a Request Link Status to each of outstations.
func Request() []byte {
	var b []byte
	for _, dst := range outstations {
		b = append(b, Frame(ctlDIR|ctlPRM|fnRequestLinkStatus, dst, master)...)
	}
	return b
}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := ask.Exchange(c, Request(), whole, maxAnswer)
	if err != nil {
		return nil, err
	}
	return Parse(b)
}

// frameLen is the length of the frame whose header b starts with: the
// header, then the user data (length - 5 bytes) in blocks of 16, each
// with its CRC.
func frameLen(b []byte) int {
	data := int(b[2]) - 5
	return headerLen + data + 2*((data+15)/16)
}

// whole is a ReadUntil test: a whole frame arrived.
func whole(b []byte) bool { return len(b) >= headerLen && len(b) >= frameLen(b) }

// Parse reads the first frame of the answer: start bytes, a length of
// at least 5, a header CRC that checks, a secondary frame towards the
// master (no DIR, no PRM) with a secondary function, addressed to us.
func Parse(b []byte) (*record.Service, error) {
	if len(b) < headerLen || b[0] != 0x05 || b[1] != 0x64 || b[2] < 5 || len(b) < frameLen(b) ||
		binary.LittleEndian.Uint16(b[8:]) != CRC(b[:8]) {
		return nil, fingerprint.ErrNoMatch
	}
	ctl := b[3]
	dst, src := binary.LittleEndian.Uint16(b[4:]), binary.LittleEndian.Uint16(b[6:])
	if ctl&(ctlDIR|ctlPRM) != 0 || dst != master {
		return nil, fingerprint.ErrNoMatch
	}
	var what string
	switch ctl & 0x0f {
	case fnLinkStatus:
		what = "link status"
	case fnAck:
		what = "ack"
	case fnNack:
		what = "nack"
	case fnNotSupported:
		what = "link service not supported"
	default:
		return nil, fingerprint.ErrNoMatch
	}
	return &record.Service{Name: "dnp3", Confidence: 10,
		ExtraInfo: fmt.Sprintf("outstation address %d; %s", src, what)}, nil
}

// CRC is DNP3's CRC-16 (polynomial 0x3D65, reflected, complemented), as
// the frame carries it (little-endian).
func CRC(b []byte) uint16 {
	var crc uint16
	for _, ch := range b {
		crc ^= uint16(ch)
		for i := 0; i < 8; i++ {
			if crc&1 != 0 {
				crc = crc>>1 ^ 0xa6bc
			} else {
				crc >>= 1
			}
		}
	}
	return ^crc
}

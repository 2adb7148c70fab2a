package coap

import (
	"bytes"
	"context"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

// CoAP over TCP (RFC 8323): each side opens with a Capabilities and
// Settings Message (code 7.01); messages carry their length in the first
// nibble (13, 14 and 15 announce one, two or four more length bytes)
// instead of a message ID.

func init() { fingerprint.Register(tcpPlugin{}) }

type tcpPlugin struct{}

func (tcpPlugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: name, Proto: portspec.TCP, Ports: []uint16{port}, Rarity: 7}
}

// TCPRequest is an empty CSM, then a GET of the root resource with our
// token.
var TCPRequest = []byte{0x00, 0xe1, 0x02, 0x01, token[0], token[1]}

// tcpMax bounds what is read: the CSM and the root resource's answer.
const tcpMax = 2 << 10

func (tcpPlugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	// libcoap sends its CSM as soon as it accepts: then it is the
	// greeting, read before the request went out.
	greeting := c.Banner()
	b, err := c.Exchange(TCPRequest, func(b []byte) bool {
		b = append(greeting[:len(greeting):len(greeting)], b...)
		_, rest, ok := frame(b)
		_, _, ok2 := frame(rest)
		return !ok || ok2 || len(b) >= tcpMax
	}, tcpMax)
	b = append(greeting[:len(greeting):len(greeting)], b...)
	if len(b) == 0 {
		return nil, err
	}
	return ParseTCP(b)
}

// frame cuts one message off b: its header and token and options and
// payload, and what follows.
func frame(b []byte) (msg, rest []byte, ok bool) {
	if len(b) < 2 {
		return nil, nil, false
	}
	n, tkl, off := int(b[0]>>4), int(b[0]&0x0f), 1
	switch n {
	case 13, 14, 15:
		k := map[int]int{13: 1, 14: 2, 15: 4}[n]
		if len(b) < 1+k {
			return nil, nil, false
		}
		v := 0
		for _, c := range b[1 : 1+k] {
			v = v<<8 | int(c)
		}
		n, off = v+map[int]int{13: 13, 14: 269, 15: 65805}[n], 1+k
	}
	end := off + 1 + tkl + n
	if tkl > 8 || n > tcpMax || len(b) < end {
		return nil, nil, false
	}
	return b[:end], b[end:], true
}

// ParseTCP reads the server's first message, which must be a CSM and
// not our own empty one sent back, and the answer to the GET when it
// follows.
func ParseTCP(b []byte) (*record.Service, error) {
	if bytes.HasPrefix(b, TCPRequest[:2]) {
		return nil, fingerprint.ErrNoMatch // our own CSM, echoed
	}
	csm, rest, ok := frame(b)
	if !ok || csm[0]&0x0f != 0 || csm[headerLen(csm)-1] != 0xe1 {
		return nil, fingerprint.ErrNoMatch
	}
	svc := &record.Service{Name: name, Confidence: 10, ExtraInfo: "over TCP"}
	if msg, _, ok := frame(rest); ok && bytes.Contains(msg, []byte("libcoap")) {
		svc.Product = "libcoap"
		svc.CPE = []string{fingerprint.CPE("libcoap", "libcoap", "")}
	}
	return svc, nil
}

// headerLen is the length of a message's header up to its code.
func headerLen(m []byte) int {
	switch m[0] >> 4 {
	case 13:
		return 3
	case 14:
		return 4
	case 15:
		return 6
	}
	return 2
}

// Package chargen recognises Character Generator servers (RFC 864): on
// connection the server sends lines of 72 printable ASCII characters,
// each starting one character further along the 95 printable ones than
// the one before, until the client closes.
package chargen

import (
	"bytes"
	"context"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "chargen", Proto: portspec.TCP, Ports: []uint16{19}, ServerFirst: true, Rarity: 8}
}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	return Parse(c.Banner())
}

const lineLen = 72

// Parse reads what the server sent first: at least two whole lines of the
// pattern (the first may be cut, where the read began mid-stream).
func Parse(b []byte) (*record.Service, error) {
	lines := bytes.Split(b, []byte("\r\n"))
	whole, prev := 0, -1
	for i, l := range lines {
		if len(l) != lineLen || !pattern(l) {
			if i == 0 || i == len(lines)-1 {
				continue // cut at the start or at the end of the read
			}
			return nil, fingerprint.ErrNoMatch
		}
		start := int(l[0] - ' ')
		if prev >= 0 && start != (prev+1)%95 {
			return nil, fingerprint.ErrNoMatch
		}
		prev = start
		whole++
	}
	if whole < 2 {
		return nil, fingerprint.ErrNoMatch
	}
	return &record.Service{Name: "chargen", Confidence: 10}, nil
}

// pattern reports whether l runs through the printable characters in
// order, wrapping from '~' to ' '.
func pattern(l []byte) bool {
	for i, ch := range l {
		if ch < ' ' || ch > '~' {
			return false
		}
		if i > 0 && int(ch-' ') != (int(l[i-1]-' ')+1)%95 {
			return false
		}
	}
	return true
}

// UDP (RFC 864): each datagram draws one datagram of the pattern; the
// openbsd and inetutils servers send one line of 72 and CRLF.
func init() {
	fingerprint.RegisterUDP(fingerprint.UDPProbe{Name: "chargen", Ports: []uint16{19}, Datagrams: [][]byte{[]byte("\r\n")},
		Rarity: 9, AnyDatagram: func(_, reply []byte) (*record.Service, error) { return ParseDatagram(reply) }}, ParseDatagram)
}

// ParseDatagram reads a UDP chargen answer: lines of the pattern, each
// but the last whole and ended by CRLF, at least 16 characters in all.
func ParseDatagram(b []byte) (*record.Service, error) {
	lines := bytes.Split(bytes.TrimSuffix(b, []byte("\r\n")), []byte("\r\n"))
	n := 0
	for i, l := range lines {
		if !pattern(l) || (i < len(lines)-1 && len(l) != lineLen) {
			return nil, fingerprint.ErrNoMatch
		}
		n += len(l)
	}
	if n < 16 {
		return nil, fingerprint.ErrNoMatch
	}
	return &record.Service{Name: "chargen", Confidence: 10}, nil
}

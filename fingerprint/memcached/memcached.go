// Package memcached recognises memcached servers by their answer to the
// text protocol's "version" command, over TCP and over UDP (where each
// datagram starts with an 8-byte frame header).
package memcached

import (
	"bytes"
	"context"
	"encoding/binary"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() {
	fingerprint.Register(plugin{})
	fingerprint.Register(udpPlugin{})
}

// versionCmd asks the server for its version.
const versionCmd = "version\r\n"

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{
		Name:   "memcached",
		Proto:  portspec.TCP,
		Ports:  []uint16{11211},
		Rarity: 4,
	}
}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := c.Exchange([]byte(versionCmd), fingerprint.UntilLine, 512)
	if err != nil && !fingerprint.UntilLine(b) {
		if len(b) == 0 {
			return nil, err
		}
		return nil, fingerprint.ErrNoMatch
	}
	return Parse(b)
}

// Parse reads the answer to "version": "VERSION 1.6.18\r\n". A server
// that requires authentication first says "CLIENT_ERROR unauthenticated".
func Parse(b []byte) (*record.Service, error) {
	line, _, ok := bytes.Cut(b, []byte("\n"))
	if !ok {
		return nil, fingerprint.ErrNoMatch
	}
	s := strings.TrimSuffix(string(line), "\r")
	if s == "CLIENT_ERROR unauthenticated" {
		return &record.Service{Name: "memcached", Product: "Memcached", ExtraInfo: "authentication required",
			Confidence: 7, CPE: []string{fingerprint.CPE("memcached", "memcached", "")}}, nil
	}
	v, ok := strings.CutPrefix(s, "VERSION ")
	if !ok || !isVersion(v) {
		return nil, fingerprint.ErrNoMatch
	}
	return &record.Service{Name: "memcached", Product: "Memcached", Version: v, Confidence: 10,
		CPE: []string{fingerprint.CPE("memcached", "memcached", v)}}, nil
}

// isVersion accepts what memcached builds call themselves: "1.6.18",
// "1.4.15-debian", "1.6.9-ubuntu".
func isVersion(s string) bool {
	if s == "" || len(s) > 40 || s[0] < '0' || s[0] > '9' || !strings.Contains(s, ".") {
		return false
	}
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '.', r == '-', r == '_', r == '+', r == '~':
		default:
			return false
		}
	}
	return true
}

// udpPlugin asks over UDP, where a request is framed by a header: request
// id, sequence number, datagram count, and two reserved bytes.
type udpPlugin struct{}

func (udpPlugin) Info() fingerprint.Info {
	return fingerprint.Info{
		Name:   "memcached",
		Proto:  portspec.UDP,
		Ports:  []uint16{11211},
		Rarity: 6,
	}
}

// udpRequestID is the id of our one request; the answer must carry it.
const udpRequestID = 0x616a // "aj"

// UDPRequest is the "version" command in a UDP frame.
func UDPRequest() []byte {
	b := make([]byte, 8, 8+len(versionCmd))
	binary.BigEndian.PutUint16(b[0:], udpRequestID)
	binary.BigEndian.PutUint16(b[4:], 1)
	return append(b, versionCmd...)
}

func (udpPlugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := c.Exchange(UDPRequest(), nil, 1500)
	if err != nil && len(b) == 0 {
		return nil, err
	}
	return ParseUDP(b)
}

// ParseUDP reads a UDP answer: the frame header with our request id, the
// first of one or more datagrams, then the text answer.
func ParseUDP(b []byte) (*record.Service, error) {
	if len(b) < 8 {
		return nil, fingerprint.ErrNoMatch
	}
	id, seq, total := binary.BigEndian.Uint16(b), binary.BigEndian.Uint16(b[2:]), binary.BigEndian.Uint16(b[4:])
	if id != udpRequestID || seq != 0 || total == 0 || total > 1024 {
		return nil, fingerprint.ErrNoMatch
	}
	return Parse(b[8:])
}

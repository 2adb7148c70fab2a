// Package riak recognises Riak KV by its Protocol Buffers client
// interface (Riak's "PBC API"): a message is a 32-bit length, a one-byte
// message code and a protobuf body. RpbGetServerInfoReq (code 7) is
// answered RpbGetServerInfoResp (code 8) with the node's name and the
// server version.
package riak

import (
	"context"
	"encoding/binary"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/internal/banner"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "riak", Proto: portspec.TCP, Ports: []uint16{8087}, Rarity: 9}
}

const (
	codeGetServerInfoReq  = 7
	codeGetServerInfoResp = 8
	answerMax             = 1024
)

// Request is RpbGetServerInfoReq: length 1, code 7, no body.
func Request() []byte { return []byte{0, 0, 0, 1, codeGetServerInfoReq} }

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := c.Exchange(Request(), messageDone, answerMax)
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
	n := binary.BigEndian.Uint32(b)
	return n == 0 || n > answerMax || uint64(len(b)) >= 4+uint64(n)
}

// Parse reads the answer to Request: one RpbGetServerInfoResp whose body
// holds only fields 1 (node) and 2 (server_version), both bytes.
func Parse(b []byte) (*record.Service, error) {
	if len(b) < 5 || uint64(binary.BigEndian.Uint32(b)) != uint64(len(b)-4) || b[4] != codeGetServerInfoResp {
		return nil, fingerprint.ErrNoMatch
	}
	fields := map[byte]string{}
	for p := b[5:]; len(p) > 0; {
		tag := p[0]
		if tag != 1<<3|2 && tag != 2<<3|2 {
			return nil, fingerprint.ErrNoMatch
		}
		n, k := binary.Uvarint(p[1:])
		if k <= 0 || n > uint64(len(p)-1-k) {
			return nil, fingerprint.ErrNoMatch
		}
		v := p[1+k : 1+k+int(n)]
		if !banner.IsText(v) {
			return nil, fingerprint.ErrNoMatch
		}
		fields[tag>>3] = string(v)
		p = p[1+k+int(n):]
	}
	version := fields[2]
	if version == "" || version[0] < '0' || version[0] > '9' || strings.ContainsAny(version, " \\") {
		return nil, fingerprint.ErrNoMatch
	}
	svc := &record.Service{Name: "riak", Product: "Riak KV", Version: fingerprint.Printable([]byte(version), 30),
		Confidence: 10}
	svc.CPE = []string{fingerprint.CPE("basho", "riak", svc.Version)}
	if node := fields[1]; node != "" {
		svc.ExtraInfo = "node " + fingerprint.Printable([]byte(node), 60)
	}
	return svc, nil
}

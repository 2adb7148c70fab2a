// Package couchbase recognises Couchbase Server's data service (its
// memcached, "kv_engine") by the binary protocol's HELLO (opcode 0x1f,
// Couchbase's BinaryProtocol.md): Couchbase answers success with the
// features it enables of those asked, where memcached answers "unknown
// command". A VERSION sent after it gives the server's version.
package couchbase

import (
	"context"
	"encoding/binary"
	"slices"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "couchbase", Proto: portspec.TCP, Ports: []uint16{11210}, TLSPorts: []uint16{11207}, Rarity: 8}
}

const (
	magicRequest  = 0x80
	magicResponse = 0x81
	opHello       = 0x1f
	opVersion     = 0x0b
	headerLen     = 24
	opaqueHello   = 0x616a6172 // "ajar"
	opaqueVersion = 0x616a6173 // "ajas"
	answerMax     = 1024
)

// features are the HELLO features asked: TCPNODELAY, XATTR, XERROR and
// JSON.
var features = []uint16{0x0003, 0x0006, 0x0007, 0x000b}

// request builds a request header and body.
func request(op byte, opaque uint32, key, value []byte) []byte {
	b := make([]byte, headerLen, headerLen+len(key)+len(value))
	b[0], b[1] = magicRequest, op
	binary.BigEndian.PutUint16(b[2:], uint16(len(key)))
	binary.BigEndian.PutUint32(b[8:], uint32(len(key)+len(value)))
	binary.BigEndian.PutUint32(b[12:], opaque)
	return append(append(b, key...), value...)
}

// Request is HELLO with our agent name as key and the features asked,
// then VERSION.
func Request() []byte {
	var v []byte
	for _, f := range features {
		v = binary.BigEndian.AppendUint16(v, f)
	}
	return append(request(opHello, opaqueHello, []byte("ajar/1"), v), request(opVersion, opaqueVersion, nil, nil)...)
}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := c.Exchange(Request(), answerDone, answerMax)
	svc, perr := Parse(b)
	if perr != nil && len(b) == 0 && err != nil {
		return nil, err
	}
	return svc, perr
}

// response is one decoded response packet.
type response struct {
	op     byte
	status uint16
	opaque uint32
	value  []byte
}

// next reads one whole response packet from b.
func next(b []byte) (response, []byte, bool) {
	var r response
	if len(b) < headerLen || b[0] != magicResponse {
		return r, nil, false
	}
	keyLen, extLen := int(binary.BigEndian.Uint16(b[2:])), int(b[4])
	body := binary.BigEndian.Uint32(b[8:])
	if body > answerMax || uint64(len(b)-headerLen) < uint64(body) || keyLen+extLen > int(body) {
		return r, nil, false
	}
	r.op, r.status, r.opaque = b[1], binary.BigEndian.Uint16(b[6:]), binary.BigEndian.Uint32(b[12:])
	r.value = b[headerLen+keyLen+extLen : headerLen+int(body)]
	return r, b[headerLen+int(body):], true
}

// answerDone is a ReadUntil test: both answers, or a first that is not
// HELLO's success.
func answerDone(b []byte) bool {
	if len(b) > 0 && b[0] != magicResponse {
		return true
	}
	r, rest, ok := next(b)
	if !ok {
		return false
	}
	if r.op != opHello || r.status != 0 {
		return true
	}
	_, _, ok = next(rest)
	return ok
}

// Parse reads the answers to Request: HELLO's success (our opaque, a
// list of features all among those asked), then, when it came, VERSION's.
func Parse(b []byte) (*record.Service, error) {
	hello, rest, ok := next(b)
	if !ok || hello.op != opHello || hello.opaque != opaqueHello || hello.status != 0 || len(hello.value)%2 != 0 {
		return nil, fingerprint.ErrNoMatch
	}
	for v := hello.value; len(v) > 0; v = v[2:] {
		if !slices.Contains(features, binary.BigEndian.Uint16(v)) {
			return nil, fingerprint.ErrNoMatch
		}
	}
	svc := &record.Service{Name: "couchbase", Product: "Couchbase Server", Confidence: 10}
	if ver, _, ok := next(rest); ok && ver.op == opVersion && ver.opaque == opaqueVersion && ver.status == 0 {
		// "7.2.4-7070", "7.1.1-3175-enterprise": release, build, edition.
		v := fingerprint.Printable(ver.value, 40)
		release, build, _ := strings.Cut(v, "-")
		if release != "" && release[0] >= '0' && release[0] <= '9' && strings.Trim(release, "0123456789.") == "" {
			svc.Version = release
			if build != "" {
				svc.ExtraInfo = "build " + build
			}
		}
	}
	svc.CPE = []string{fingerprint.CPE("couchbase", "couchbase_server", svc.Version)}
	return svc, nil
}

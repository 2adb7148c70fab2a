// Package cassandra recognises servers of the CQL native protocol
// (Apache Cassandra, ScyllaDB) with an OPTIONS request in protocol v4:
// the SUPPORTED answer lists the CQL version, compressions and protocol
// versions. When the server lets a client in without credentials, a
// query of system.local gives Cassandra's release_version.
package cassandra

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
	return fingerprint.Info{
		Name:   "cassandra",
		Proto:  portspec.TCP,
		Ports:  []uint16{9042},
		Rarity: 8,
	}
}

// Opcodes of the native protocol.
const (
	opError        = 0x00
	opStartup      = 0x01
	opReady        = 0x02
	opAuthenticate = 0x03
	opOptions      = 0x05
	opSupported    = 0x06
	opQuery        = 0x07
	opResult       = 0x08

	version4 = 0x04
	// frameMax bounds one answer frame.
	frameMax = 16 << 10
)

// frame builds a v4 request frame.
func frame(stream uint16, opcode byte, body []byte) []byte {
	b := []byte{version4, 0, byte(stream >> 8), byte(stream), opcode, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[5:], uint32(len(body)))
	return append(b, body...)
}

// Options is the OPTIONS request, on stream 1.
func Options() []byte { return frame(1, opOptions, nil) }

// appendString appends a [string]: a 16-bit length and bytes.
func appendString(b []byte, s string) []byte {
	return append(binary.BigEndian.AppendUint16(b, uint16(len(s))), s...)
}

// Startup is the STARTUP request for a CQL version, on stream 2.
func Startup(cql string) []byte {
	body := binary.BigEndian.AppendUint16(nil, 1)
	body = appendString(appendString(body, "CQL_VERSION"), cql)
	return frame(2, opStartup, body)
}

// releaseQuery asks system.local for the server's release.
const releaseQuery = "SELECT release_version FROM system.local"

// Query is the QUERY request for releaseQuery at consistency ONE, on
// stream 3.
func Query() []byte {
	body := binary.BigEndian.AppendUint32(nil, uint32(len(releaseQuery)))
	body = append(body, releaseQuery...)
	body = append(body, 0, 1, 0) // consistency ONE, no flags
	return frame(3, opQuery, body)
}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := c.Exchange(Options(), frameDone, frameMax)
	svc, opts, perr := parseSupported(b)
	if perr != nil {
		if len(b) == 0 && err != nil {
			return nil, err
		}
		return nil, perr
	}
	if opts == nil || svc.Product == "ScyllaDB" {
		// An error frame, or ScyllaDB, whose release_version is a
		// Cassandra version it is compatible with.
		return svc, nil
	}
	cql := "3.0.0"
	if v := opts["CQL_VERSION"]; len(v) > 0 {
		cql = v[0]
	}
	b, err = c.Exchange(Startup(cql), frameDone, frameMax)
	if err != nil {
		return svc, nil
	}
	f, ok := readFrame(b)
	switch {
	case !ok || f.stream != 2:
		return svc, nil
	case f.opcode == opAuthenticate:
		if class, _, ok := readString(f.body); ok && class != "" {
			class = class[strings.LastIndexByte(class, '.')+1:]
			svc.ExtraInfo = strings.TrimPrefix(svc.ExtraInfo+"; auth: "+fingerprint.Printable([]byte(class), 60), "; ")
		}
		return svc, nil
	case f.opcode != opReady:
		return svc, nil
	}
	b, err = c.Exchange(Query(), frameDone, frameMax)
	if err != nil {
		return svc, nil
	}
	if v, err := ParseRelease(b); err == nil {
		svc.Product, svc.Version = "Apache Cassandra", v
		svc.CPE = []string{fingerprint.CPE("apache", "cassandra", v)}
	}
	return svc, nil
}

// respFrame is one decoded response frame.
type respFrame struct {
	version byte
	stream  int
	opcode  byte
	body    []byte
}

// headerLen is 9 bytes from protocol v3 on, 8 before (one-byte stream).
func headerLen(version byte) int {
	if version&0x7f <= 2 {
		return 8
	}
	return 9
}

// frameDone is a ReadUntil test: a whole response frame, or bytes that
// cannot start one.
func frameDone(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	if b[0] < 0x81 || b[0] > 0x86 {
		return true
	}
	h := headerLen(b[0])
	if len(b) < h {
		return false
	}
	n := binary.BigEndian.Uint32(b[h-4:])
	return n > frameMax || len(b) >= h+int(n)
}

// readFrame decodes a whole response frame (version byte with the
// response bit, protocol 1 to 6).
func readFrame(b []byte) (respFrame, bool) {
	var f respFrame
	if len(b) < 8 || b[0] < 0x81 || b[0] > 0x86 {
		return f, false
	}
	h := headerLen(b[0])
	if len(b) < h {
		return f, false
	}
	n := binary.BigEndian.Uint32(b[h-4:])
	if n > frameMax || uint32(len(b)-h) < n {
		return f, false
	}
	f.version, f.opcode, f.body = b[0]&0x7f, b[h-5], b[h:h+int(n)]
	if h == 8 {
		f.stream = int(int8(b[2]))
	} else {
		f.stream = int(int16(binary.BigEndian.Uint16(b[2:])))
	}
	return f, true
}

// readString reads a [string].
func readString(b []byte) (string, []byte, bool) {
	if len(b) < 2 {
		return "", nil, false
	}
	n := int(binary.BigEndian.Uint16(b))
	if len(b) < 2+n {
		return "", nil, false
	}
	return string(b[2 : 2+n]), b[2+n:], true
}

// readMultimap reads a [string multimap]: keys with lists of strings.
func readMultimap(b []byte) (map[string][]string, bool) {
	if len(b) < 2 {
		return nil, false
	}
	n := int(binary.BigEndian.Uint16(b))
	b = b[2:]
	out := make(map[string][]string, min(n, 64))
	for range n {
		k, rest, ok := readString(b)
		if !ok || len(rest) < 2 {
			return nil, false
		}
		m := int(binary.BigEndian.Uint16(rest))
		b = rest[2:]
		for range m {
			var v string
			if v, b, ok = readString(b); !ok {
				return nil, false
			}
			out[k] = append(out[k], v)
		}
		if m == 0 {
			out[k] = []string{}
		}
	}
	return out, len(b) == 0
}

// ParseSupported reads the answer to OPTIONS: SUPPORTED, or an ERROR
// from a server that does not speak protocol v4 (which still proves CQL).
func ParseSupported(b []byte) (*record.Service, error) {
	svc, _, err := parseSupported(b)
	return svc, err
}

func parseSupported(b []byte) (*record.Service, map[string][]string, error) {
	f, ok := readFrame(b)
	if !ok || f.stream != 1 && f.stream != 0 {
		return nil, nil, fingerprint.ErrNoMatch
	}
	svc := &record.Service{Name: "cassandra", Confidence: 10}
	switch f.opcode {
	case opError:
		if len(f.body) < 4 {
			return nil, nil, fingerprint.ErrNoMatch
		}
		msg, _, ok := readString(f.body[4:])
		if !ok || !strings.Contains(strings.ToLower(msg), "protocol") {
			return nil, nil, fingerprint.ErrNoMatch
		}
		svc.Confidence = 8
		svc.ExtraInfo = "error: " + fingerprint.Printable([]byte(msg), 100)
		return svc, nil, nil
	case opSupported:
	default:
		return nil, nil, fingerprint.ErrNoMatch
	}
	opts, ok := readMultimap(f.body)
	if !ok || len(opts["CQL_VERSION"]) == 0 {
		return nil, nil, fingerprint.ErrNoMatch
	}
	var extra []string
	extra = append(extra, "CQL "+clean(strings.Join(opts["CQL_VERSION"], ",")))
	if p := opts["PROTOCOL_VERSIONS"]; len(p) > 0 {
		extra = append(extra, "protocols "+clean(strings.Join(p, ",")))
	}
	if slices.ContainsFunc(keys(opts), func(k string) bool { return strings.HasPrefix(k, "SCYLLA_") }) {
		svc.Product = "ScyllaDB"
		if n := opts["SCYLLA_NR_SHARDS"]; len(n) > 0 {
			extra = append(extra, "shards "+clean(n[0]))
		}
	}
	svc.ExtraInfo = strings.Join(extra, "; ")
	return svc, opts, nil
}

func keys(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// clean keeps a value fit for a report.
func clean(s string) string { return fingerprint.Printable([]byte(s), 80) }

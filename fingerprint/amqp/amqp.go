// Package amqp recognises AMQP 0-9-1 brokers (RabbitMQ and others): the
// client sends the protocol header "AMQP\x00\x00\x09\x01" and the broker
// answers with a Connection.Start method whose server-properties table
// names the product, version and platform. A broker that speaks another
// AMQP version answers with its own protocol header instead.
package amqp

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{
		Name:     "amqp",
		Proto:    portspec.TCP,
		Ports:    []uint16{5672},
		TLSPorts: []uint16{5671},
		Rarity:   6,
	}
}

// Header is the protocol header of AMQP 0-9-1.
var Header = []byte("AMQP\x00\x00\x09\x01")

const (
	frameMethod = 1
	frameEnd    = 0xce
	// frameMax bounds the Connection.Start frame; RabbitMQ's is ~500 bytes.
	frameMax = 32 << 10
	// depthMax bounds the nesting of tables and arrays.
	depthMax = 8
)

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := c.Exchange(Header, frameDone, frameMax+8)
	svc, perr := Parse(b)
	if perr != nil && len(b) == 0 && err != nil {
		return nil, err
	}
	return svc, perr
}

// frameDone is a ReadUntil test: a whole frame, a protocol header, or
// bytes that cannot be either.
func frameDone(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	if bytes.HasPrefix(b, []byte("AMQP")) || bytes.HasPrefix([]byte("AMQP"), b) {
		return len(b) >= 8
	}
	if b[0] != frameMethod {
		return true
	}
	if len(b) < 7 {
		return false
	}
	n := int(binary.BigEndian.Uint32(b[3:7]))
	return n > frameMax || len(b) >= 7+n+1
}

// Parse reads a broker's answer to the 0-9-1 protocol header.
func Parse(b []byte) (*record.Service, error) {
	if bytes.HasPrefix(b, []byte("AMQP")) {
		return parseHeader(b)
	}
	if len(b) < 7 || b[0] != frameMethod || b[1] != 0 || b[2] != 0 {
		return nil, fingerprint.ErrNoMatch
	}
	n := int(binary.BigEndian.Uint32(b[3:7]))
	if n > frameMax || len(b) < 7+n+1 || b[7+n] != frameEnd {
		return nil, fingerprint.ErrNoMatch
	}
	return parseStart(b[7 : 7+n])
}

// parseHeader reads the protocol header a broker sends back when it does
// not speak 0-9-1: "AMQP" 0 major minor revision (0-9-x, 0-10), or
// "AMQP" protocol-id 1 0 0 for AMQP 1.0. Our own header sent back is no
// answer: a broker that speaks 0-9-1 starts the connection instead, so
// that is an echo.
func parseHeader(b []byte) (*record.Service, error) {
	if len(b) < 8 {
		return nil, fingerprint.ErrNoMatch
	}
	h := b[4:8]
	var proto string
	switch string(h) {
	case "\x00\x01\x00\x00", "\x02\x01\x00\x00", "\x03\x01\x00\x00": // plain, TLS, SASL
		proto = "AMQP 1.0"
	case "\x01\x01\x00\x0a":
		proto = "AMQP 0-10"
	case "\x01\x01\x00\x09":
		proto = "AMQP 0-9"
	case "\x01\x01\x08\x00", "\x01\x01\x09\x01":
		proto = "AMQP 0-8"
	default:
		return nil, fingerprint.ErrNoMatch
	}
	return &record.Service{Name: "amqp", ExtraInfo: proto, Confidence: 9}, nil
}

// parseStart reads a Connection.Start method (class 10, method 10).
func parseStart(p []byte) (*record.Service, error) {
	if len(p) < 6 || binary.BigEndian.Uint16(p) != 10 || binary.BigEndian.Uint16(p[2:]) != 10 {
		return nil, fingerprint.ErrNoMatch
	}
	major, minor := p[4], p[5]
	props, rest, err := readTable(p[6:], 0)
	if err != nil {
		return nil, fingerprint.ErrNoMatch
	}
	mechs, rest, ok := longString(rest)
	if !ok {
		return nil, fingerprint.ErrNoMatch
	}
	if _, _, ok := longString(rest); !ok { // locales
		return nil, fingerprint.ErrNoMatch
	}
	svc := &record.Service{Name: "amqp", Confidence: 10}
	svc.Product = clean(props["product"])
	svc.Version = clean(props["version"])
	extra := []string{fmt.Sprintf("AMQP %d-%d", major, minor)}
	if pl := clean(props["platform"]); pl != "" {
		extra = append(extra, pl)
	}
	if cn := clean(props["cluster_name"]); cn != "" {
		extra = append(extra, "cluster: "+cn)
	}
	if m := clean(string(mechs)); m != "" {
		extra = append(extra, "auth: "+m)
	}
	svc.ExtraInfo = strings.Join(extra, "; ")
	switch svc.Product {
	case "RabbitMQ":
		svc.CPE = []string{fingerprint.CPE("vmware", "rabbitmq", svc.Version)}
	case "ActiveMQ":
		svc.CPE = []string{fingerprint.CPE("apache", "activemq", svc.Version)}
	case "qpidd":
		svc.CPE = []string{fingerprint.CPE("apache", "qpid", svc.Version)}
	}
	return svc, nil
}

// clean keeps a property fit for a report: printable, at most 80 bytes.
func clean(s string) string {
	if len(s) > 80 {
		s = s[:80]
	}
	return strings.TrimSpace(fingerprint.Printable([]byte(s), 80))
}

// longString reads a long string: a 32-bit length and bytes.
func longString(b []byte) ([]byte, []byte, bool) {
	if len(b) < 4 {
		return nil, nil, false
	}
	n := binary.BigEndian.Uint32(b)
	if uint64(n) > uint64(len(b)-4) {
		return nil, nil, false
	}
	return b[4 : 4+n], b[4+n:], true
}

// readTable reads a field table and returns its string fields (nested
// tables and other types are checked and skipped).
func readTable(b []byte, depth int) (map[string]string, []byte, error) {
	body, rest, ok := longString(b)
	if !ok || depth > depthMax {
		return nil, nil, errTable
	}
	out := map[string]string{}
	for len(body) > 0 {
		n := int(body[0])
		if len(body) < 1+n+1 {
			return nil, nil, errTable
		}
		name := string(body[1 : 1+n])
		typ := body[1+n]
		body = body[2+n:]
		var v []byte
		var err error
		if v, body, err = readValue(typ, body, depth); err != nil {
			return nil, nil, err
		}
		if typ == 'S' {
			out[name] = string(v)
		}
	}
	return out, rest, nil
}

var errTable = fmt.Errorf("amqp: bad field table")

// fixed are the sizes of the fixed-size field types, as RabbitMQ and the
// 0-9-1 errata use them.
var fixed = map[byte]int{
	't': 1, 'b': 1, 'B': 1, 's': 2, 'u': 2, 'I': 4, 'i': 4, 'l': 8, 'L': 8,
	'f': 4, 'd': 8, 'D': 5, 'T': 8, 'V': 0,
}

// readValue reads one field value of type typ; for a long string it
// returns the string.
func readValue(typ byte, b []byte, depth int) ([]byte, []byte, error) {
	if n, ok := fixed[typ]; ok {
		if len(b) < n {
			return nil, nil, errTable
		}
		return nil, b[n:], nil
	}
	switch typ {
	case 'S', 'x':
		v, rest, ok := longString(b)
		if !ok {
			return nil, nil, errTable
		}
		return v, rest, nil
	case 'F':
		_, rest, err := readTable(b, depth+1)
		return nil, rest, err
	case 'A':
		arr, rest, ok := longString(b)
		if !ok || depth >= depthMax {
			return nil, nil, errTable
		}
		for len(arr) > 0 {
			var err error
			if _, arr, err = readValue(arr[0], arr[1:], depth+1); err != nil {
				return nil, nil, err
			}
		}
		return nil, rest, nil
	}
	return nil, nil, errTable
}

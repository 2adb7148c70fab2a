// Package openwire recognises Apache ActiveMQ brokers by OpenWire, their
// native protocol: on a new connection the broker sends a WireFormatInfo
// command unprompted, a size-prefixed frame of type 1 holding the magic
// "ActiveMQ", the OpenWire version and a map of properties, among them
// ProviderName and ProviderVersion.
package openwire

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "openwire", Proto: portspec.TCP, Ports: []uint16{61616}, TLSPorts: []uint16{61617}, ServerFirst: true, Rarity: 8}
}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b := c.Banner()
	if len(b) >= 4 && len(b) < 4+int(binary.BigEndian.Uint32(b)) && len(b) >= 13 && string(b[5:13]) == magic {
		// The rest of the frame may come after the banner's pause.
		c.Shorten(fingerprint.DefaultProbeTimeout / 3)
		n := 4 + int(binary.BigEndian.Uint32(b))
		more, _ := c.ReadUntil(fingerprint.UntilLen(n-len(b)), min(n-len(b), frameMax))
		b = append(b[:len(b):len(b)], more...)
	}
	return Parse(b)
}

const (
	magic          = "ActiveMQ"
	typeWireFormat = 1
	frameMax       = 16 << 10
)

// Primitive types of the marshalled property map.
const (
	typeNull = iota
	typeBool
	typeByte
	typeChar
	typeShort
	typeInt
	typeLong
	typeDouble
	typeFloat
	typeString
	typeBytes
)

// Parse reads a WireFormatInfo frame: size, type 1, "ActiveMQ", version,
// then the marshalled properties (a not-null flag, their size, a count
// and key/typed-value pairs). A frame cut short still names the broker
// by its magic, without the properties.
func Parse(b []byte) (*record.Service, error) {
	if len(b) < 17 || b[4] != typeWireFormat || string(b[5:13]) != magic {
		return nil, fingerprint.ErrNoMatch
	}
	size := binary.BigEndian.Uint32(b)
	version := binary.BigEndian.Uint32(b[13:])
	if size < 13 || size > frameMax || version == 0 || version > 100 {
		return nil, fingerprint.ErrNoMatch
	}
	svc := &record.Service{Name: "openwire", Product: "Apache ActiveMQ", Confidence: 10,
		ExtraInfo: fmt.Sprintf("OpenWire %d", version)}
	if int(size)+4 <= len(b) {
		if props, ok := properties(b[17 : 4+size]); ok {
			if p := props["ProviderName"]; p != "" && p != "ActiveMQ" {
				svc.Product = clean(p)
			}
			svc.Version = clean(props["ProviderVersion"])
			if p := props["PlatformDetails"]; p != "" {
				svc.ExtraInfo += "; " + clean(p)
			}
		}
	}
	if svc.Product == "Apache ActiveMQ" {
		svc.CPE = []string{fingerprint.CPE("apache", "activemq", svc.Version)}
	}
	return svc, nil
}

// properties reads the marshalled map, keeping its string values.
func properties(b []byte) (map[string]string, bool) {
	if len(b) < 9 || b[0] != 1 {
		return nil, false
	}
	n := binary.BigEndian.Uint32(b[1:])
	if uint64(n) != uint64(len(b)-5) {
		return nil, false
	}
	count := binary.BigEndian.Uint32(b[5:])
	b = b[9:]
	out := map[string]string{}
	for range min(count, 256) {
		key, rest, ok := utf(b)
		if !ok || len(rest) < 1 {
			return nil, false
		}
		var val string
		if val, b, ok = value(rest[0], rest[1:]); !ok {
			return nil, false
		}
		out[key] = val
	}
	return out, len(b) == 0
}

// value reads one typed value; it returns strings, and "" for others.
func value(typ byte, b []byte) (string, []byte, bool) {
	sizes := map[byte]int{typeNull: 0, typeBool: 1, typeByte: 1, typeChar: 2, typeShort: 2,
		typeInt: 4, typeLong: 8, typeDouble: 8, typeFloat: 4}
	if n, ok := sizes[typ]; ok {
		if len(b) < n {
			return "", nil, false
		}
		return "", b[n:], true
	}
	switch typ {
	case typeString:
		return utf(b)
	case typeBytes:
		if len(b) < 4 || uint64(binary.BigEndian.Uint32(b)) > uint64(len(b)-4) || binary.BigEndian.Uint32(b) > math.MaxInt32 {
			return "", nil, false
		}
		return "", b[4+binary.BigEndian.Uint32(b):], true
	}
	return "", nil, false
}

// utf reads a string with a 16-bit length.
func utf(b []byte) (string, []byte, bool) {
	if len(b) < 2 || int(binary.BigEndian.Uint16(b)) > len(b)-2 {
		return "", nil, false
	}
	n := int(binary.BigEndian.Uint16(b))
	return string(b[2 : 2+n]), b[2+n:], true
}

func clean(s string) string { return strings.TrimSpace(fingerprint.Printable([]byte(s), 60)) }

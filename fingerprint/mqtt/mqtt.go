// Package mqtt recognises MQTT brokers: the client sends an MQTT 3.1.1
// CONNECT (client id "ajar", clean session) and any CONNACK, accepted or
// refused, proves the protocol. Brokers do not say what software they
// are, so the product stays empty.
package mqtt

import (
	"context"
	"time"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{
		Name:     "mqtt",
		Proto:    portspec.TCP,
		Ports:    []uint16{1883},
		TLSPorts: []uint16{8883},
		Rarity:   6,
	}
}

// Connect is an MQTT CONNECT packet for protocol level 4 (3.1.1) or 5,
// with a clean session, a 60 s keep-alive and client id "ajar".
func Connect(level byte) []byte {
	vh := []byte{0, 4, 'M', 'Q', 'T', 'T', level, 0x02, 0, 60}
	if level == 5 {
		vh = append(vh, 0) // no properties
	}
	vh = append(vh, 0, 4, 'a', 'j', 'a', 'r')
	return append([]byte{0x10, byte(len(vh))}, vh...)
}

// disconnect ends an accepted session politely.
var disconnect = []byte{0xe0, 0x00}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := c.Exchange(Connect(4), connackDone, 512)
	svc, accepted, perr := parseConnack(b)
	if perr != nil {
		if len(b) == 0 && err != nil {
			return nil, err
		}
		return nil, perr
	}
	if accepted {
		// Brokers that let us in may say who they are in $SYS; the
		// answer is optional, so it gets a short wait.
		if c.Write(subscribeVersion()) == nil {
			c.Shorten(500 * time.Millisecond)
			if b, _ := c.ReadUntil(versionDone, 4096); len(b) > 0 {
				if product, version, err := ParseSysVersion(b); err == nil {
					svc.Product, svc.Version = product, version
					if product == "Mosquitto" {
						svc.CPE = []string{fingerprint.CPE("eclipse", "mosquitto", version)}
					}
				}
			}
		}
		// Best effort: the broker has answered, the identification is
		// done whether or not it hears the goodbye.
		_ = c.Write(disconnect)
	}
	return svc, nil
}

// varint reads a variable byte integer (MQTT's remaining length): its
// value and size. size is 0 while b holds only part of it; ok is false
// past four bytes.
func varint(b []byte) (n, size int, ok bool) {
	for i := 0; i < len(b); i++ {
		if i == 4 {
			return 0, 0, false
		}
		n |= int(b[i]&0x7f) << (7 * i)
		if b[i]&0x80 == 0 {
			return n, i + 1, true
		}
	}
	return 0, 0, len(b) < 4
}

// packet splits the first control packet off b: its type byte and body.
// whole is false while b holds only part of it; ok is false when b
// cannot start a packet.
func packet(b []byte) (typ byte, body []byte, whole, ok bool) {
	if len(b) < 2 {
		return 0, nil, false, true
	}
	n, size, ok := varint(b[1:])
	if !ok || size == 0 {
		return 0, nil, false, ok
	}
	if len(b) < 1+size+n {
		return b[0], nil, false, true
	}
	return b[0], b[1+size : 1+size+n], true, true
}

// connackDone is a ReadUntil test: one whole packet, or bytes that
// cannot start a CONNACK.
func connackDone(b []byte) bool {
	_, _, whole, ok := packet(b)
	return whole || !ok || len(b) > 0 && b[0] != 0x20
}

// returnCodes are the CONNACK return codes of MQTT 3.1.1.
var returnCodes = []string{
	"connection accepted",
	"unacceptable protocol version",
	"identifier rejected",
	"server unavailable",
	"bad user name or password",
	"not authorized",
}

// reasonCodes are the CONNACK reason codes of MQTT 5.
var reasonCodes = map[byte]string{
	0x00: "connection accepted", 0x80: "unspecified error", 0x81: "malformed packet",
	0x82: "protocol error", 0x83: "implementation specific error", 0x84: "unsupported protocol version",
	0x85: "client identifier not valid", 0x86: "bad user name or password", 0x87: "not authorized",
	0x88: "server unavailable", 0x89: "server busy", 0x8a: "banned", 0x8c: "bad authentication method",
	0x90: "topic name invalid", 0x95: "packet too large", 0x97: "quota exceeded",
	0x99: "payload format invalid", 0x9a: "retain not supported", 0x9b: "QoS not supported",
	0x9c: "use another server", 0x9d: "server moved", 0x9f: "connection rate exceeded",
}

// ParseConnack reads a broker's answer to CONNECT: a CONNACK in the
// MQTT 3.1.1 form (two bytes: flags and return code) or the MQTT 5 form
// (flags, reason code, properties).
func ParseConnack(b []byte) (*record.Service, error) {
	svc, _, err := parseConnack(b)
	return svc, err
}

func parseConnack(b []byte) (*record.Service, bool, error) {
	typ, body, whole, _ := packet(b)
	if !whole || typ != 0x20 || len(body) < 2 || body[0]&^1 != 0 {
		return nil, false, fingerprint.ErrNoMatch
	}
	svc := &record.Service{Name: "mqtt", Confidence: 10}
	code := body[1]
	if len(body) == 2 {
		if int(code) >= len(returnCodes) || (code != 0 && body[0] != 0) {
			return nil, false, fingerprint.ErrNoMatch
		}
		svc.ExtraInfo = "MQTT 3.1.1; " + returnCodes[code]
		return svc, code == 0, nil
	}
	// MQTT 5: the properties' length must cover the rest exactly.
	reason, ok := reasonCodes[code]
	if !ok {
		return nil, false, fingerprint.ErrNoMatch
	}
	if n, size, ok := varint(body[2:]); !ok || size == 0 || size+n != len(body)-2 {
		return nil, false, fingerprint.ErrNoMatch
	}
	svc.ExtraInfo = "MQTT 5; " + reason
	return svc, code == 0, nil
}

// Package pulsar recognises Apache Pulsar brokers (and proxies) by their
// binary protocol (Pulsar's "Binary protocol" spec and PulsarApi.proto):
// a frame is a total size, a command size and a BaseCommand protobuf. A
// CONNECT is answered CONNECTED with the broker's server_version and
// protocol version, or ERROR when the broker wants authentication.
package pulsar

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/internal/banner"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "pulsar", Proto: portspec.TCP, Ports: []uint16{6650}, Rarity: 8}
}

// BaseCommand types and fields used here.
const (
	typeConnect   = 2
	typeConnected = 3
	typeError     = 14

	fieldType      = 1
	fieldConnect   = 2
	fieldConnected = 3
	fieldError     = 14

	protocolVersion = 12
	answerMax       = 4096
)

// protobuf helpers: a tag is field<<3 | wire type (0 varint, 2 bytes).
func appendVarintField(b []byte, field, v uint64) []byte {
	return binary.AppendUvarint(binary.AppendUvarint(b, field<<3), v)
}

func appendBytesField(b []byte, field uint64, v []byte) []byte {
	b = binary.AppendUvarint(binary.AppendUvarint(b, field<<3|2), uint64(len(v)))
	return append(b, v...)
}

// Connect is the CONNECT frame: client "ajar/1", protocol version 12.
func Connect() []byte {
	connect := appendBytesField(nil, 1, []byte("ajar/1"))
	connect = appendVarintField(connect, 4, protocolVersion)
	cmd := appendVarintField(nil, fieldType, typeConnect)
	cmd = appendBytesField(cmd, fieldConnect, connect)
	b := binary.BigEndian.AppendUint32(nil, uint32(len(cmd)+4))
	b = binary.BigEndian.AppendUint32(b, uint32(len(cmd)))
	return append(b, cmd...)
}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := c.Exchange(Connect(), frameDone, answerMax)
	svc, perr := Parse(b)
	if perr != nil && len(b) == 0 && err != nil {
		return nil, err
	}
	return svc, perr
}

// frameDone is a ReadUntil test: a whole frame by its total size.
func frameDone(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	n := binary.BigEndian.Uint32(b)
	return n > answerMax || uint64(len(b)) >= 4+uint64(n)
}

// message is a decoded protobuf message: varints and byte fields by
// field number (the last of repeated fields).
type message struct {
	ints  map[uint64]uint64
	bytes map[uint64][]byte
}

// decode reads a whole protobuf message of varint and length-delimited
// fields; any other wire type, or a field cut short, is an error.
func decode(b []byte) (message, bool) {
	m := message{ints: map[uint64]uint64{}, bytes: map[uint64][]byte{}}
	for len(b) > 0 {
		tag, n := binary.Uvarint(b)
		if n <= 0 || tag>>3 == 0 {
			return m, false
		}
		b = b[n:]
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return m, false
		}
		b = b[n:]
		switch tag & 7 {
		case 0:
			m.ints[tag>>3] = v
		case 2:
			if v > uint64(len(b)) {
				return m, false
			}
			m.bytes[tag>>3], b = b[:v], b[v:]
		default:
			return m, false
		}
	}
	return m, true
}

// Parse reads the answer to Connect: one frame holding CONNECTED or
// ERROR, each with its sub-command whole.
func Parse(b []byte) (*record.Service, error) {
	if len(b) < 8 || uint64(binary.BigEndian.Uint32(b)) != uint64(len(b)-4) ||
		uint64(binary.BigEndian.Uint32(b[4:])) != uint64(len(b)-8) {
		return nil, fingerprint.ErrNoMatch
	}
	cmd, ok := decode(b[8:])
	if !ok {
		return nil, fingerprint.ErrNoMatch
	}
	svc := &record.Service{Name: "pulsar", Product: "Apache Pulsar", Confidence: 10}
	switch cmd.ints[fieldType] {
	case typeConnected:
		sub, ok := decode(cmd.bytes[fieldConnected])
		version := sub.bytes[1]
		if !ok || len(version) == 0 || !banner.IsText(version) {
			return nil, fingerprint.ErrNoMatch
		}
		// "Pulsar Server2.10.0", "Pulsar Server" before 2.x's releases
		// named it, "Pulsar-Broker-v1.15.2" in old brokers.
		v := fingerprint.Printable(version, 60)
		svc.ExtraInfo = fmt.Sprintf("server %s; protocol %d", v, sub.ints[2])
		for _, prefix := range []string{"Pulsar Server", "Pulsar-Broker-v"} {
			if rest, found := strings.CutPrefix(v, prefix); found && rest != "" && rest[0] >= '0' && rest[0] <= '9' {
				svc.Version = strings.TrimSpace(rest)
			}
		}
	case typeError:
		sub, ok := decode(cmd.bytes[fieldError])
		msg := sub.bytes[3]
		if _, hasErr := sub.ints[2]; !ok || !hasErr || !banner.IsText(msg) {
			return nil, fingerprint.ErrNoMatch
		}
		svc.Confidence = 8
		svc.ExtraInfo = fmt.Sprintf("error %d: %s", sub.ints[2], fingerprint.Printable(msg, 100))
	default:
		return nil, fingerprint.ErrNoMatch
	}
	svc.CPE = []string{fingerprint.CPE("apache", "pulsar", svc.Version)}
	return svc, nil
}

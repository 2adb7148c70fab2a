// Package bolt recognises Neo4j (and other graph databases speaking
// Bolt, such as Memgraph) by the Bolt handshake (neo4j.com/docs/bolt):
// the magic 0x6060b017 and four proposed versions, to which the server
// answers the version it chose, one we proposed. With Bolt 5.1 or later a
// HELLO without credentials gets SUCCESS with the server's agent string,
// "Neo4j/5.13.0".
package bolt

import (
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
	return fingerprint.Info{Name: "bolt", Proto: portspec.TCP, Ports: []uint16{7687}, Rarity: 8}
}

const (
	magic     = "\x60\x60\xb0\x17"
	answerMax = 4096
	// Message signatures.
	sigHello   = 0x01
	sigSuccess = 0x70
	sigFailure = 0x7f
)

// Handshake is the magic and the versions proposed, most wanted first:
// 5.8 down to 5.0, 4.4 down to 4.2, 4.1, 3.0 (each [0, range, minor,
// major]).
func Handshake() []byte {
	return []byte(magic + "\x00\x08\x08\x05" + "\x00\x02\x04\x04" + "\x00\x00\x01\x04" + "\x00\x00\x00\x03")
}

// Version reads the server's answer to Handshake: a version proposed.
func Version(b []byte) (major, minor int, err error) {
	if len(b) != 4 || b[0] != 0 || b[1] != 0 {
		return 0, 0, fingerprint.ErrNoMatch
	}
	major, minor = int(b[3]), int(b[2])
	switch {
	case major == 5 && minor <= 8, major == 4 && minor >= 1 && minor <= 4, major == 3 && minor == 0:
		return major, minor, nil
	}
	return 0, 0, fingerprint.ErrNoMatch
}

// Hello is the HELLO message, chunked, for a Bolt version: from 5.1 on
// it carries no credentials; before, it asks for the "none" scheme.
func Hello(major, minor int) []byte {
	agent := "ajar/1"
	var m []byte
	if major > 5 || major == 5 && minor >= 1 {
		m = appendMap(nil, "user_agent", agent, "bolt_agent", []any{"product", agent})
	} else {
		m = appendMap(nil, "user_agent", agent, "scheme", "none")
	}
	msg := append([]byte{0xb1, sigHello}, m...)
	b := binary.BigEndian.AppendUint16(nil, uint16(len(msg)))
	return append(append(b, msg...), 0, 0)
}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := c.Exchange(Handshake(), fingerprint.UntilLen(4), 4)
	major, minor, verr := Version(b)
	if verr != nil {
		if len(b) == 0 && err != nil {
			return nil, err
		}
		return nil, verr
	}
	svc := &record.Service{Name: "bolt", Confidence: 10, ExtraInfo: fmt.Sprintf("Bolt %d.%d", major, minor)}
	b, err = c.Exchange(Hello(major, minor), messageDone, answerMax)
	if err != nil && len(b) == 0 {
		return svc, nil
	}
	if agent, code, perr := ParseHello(b); perr == nil {
		describe(svc, agent, code)
	}
	return svc, nil
}

// messageDone is a ReadUntil test: a whole chunked message.
func messageDone(b []byte) bool {
	_, ok := dechunk(b)
	return ok || len(b) >= 2 && b[0] == 0 && b[1] == 0
}

// dechunk joins the chunks of one message up to its 00 00 end.
func dechunk(b []byte) ([]byte, bool) {
	var msg []byte
	for len(b) >= 2 {
		n := int(binary.BigEndian.Uint16(b))
		if n == 0 {
			return msg, len(msg) > 0
		}
		if len(b) < 2+n {
			return nil, false
		}
		msg = append(msg, b[2:2+n]...)
		b = b[2+n:]
	}
	return nil, false
}

// ParseHello reads the answer to Hello: SUCCESS with the server's agent,
// or FAILURE with its code.
func ParseHello(b []byte) (agent, code string, err error) {
	msg, ok := dechunk(b)
	if !ok || len(msg) < 3 || msg[0] != 0xb1 || (msg[1] != sigSuccess && msg[1] != sigFailure) {
		return "", "", fingerprint.ErrNoMatch
	}
	r := &reader{b: msg[2:]}
	if m := r.b[0]; m&0xf0 != 0xa0 && (m < 0xd8 || m > 0xda) {
		return "", "", fingerprint.ErrNoMatch
	}
	r.b = r.b[1:]
	fields := r.mapOf(r.size(msg[2], 0xa0, 0xd8), 0)
	if r.bad || len(r.b) != 0 {
		return "", "", fingerprint.ErrNoMatch
	}
	if msg[1] == sigFailure {
		if fields["code"] == "" {
			return "", "", fingerprint.ErrNoMatch
		}
		return "", fields["code"], nil
	}
	return fields["server"], "", nil
}

// describe names the product from the agent, "Neo4j/5.13.0" or
// "Neo4j/v5.11.0 compatible graph database server - Memgraph".
func describe(svc *record.Service, agent, code string) {
	if code != "" {
		svc.ExtraInfo += "; hello refused: " + fingerprint.Printable([]byte(code), 80)
		return
	}
	agent = fingerprint.Printable([]byte(agent), 100)
	name, rest, ok := strings.Cut(agent, "/")
	if !ok || name == "" {
		return
	}
	version, tail, _ := strings.Cut(rest, " ")
	version = strings.TrimPrefix(version, "v")
	switch {
	case strings.Contains(tail, "Memgraph"):
		svc.Product = "Memgraph"
		svc.ExtraInfo += "; " + agent
	case name == "Neo4j":
		svc.Product, svc.Version = "Neo4j", version
		svc.CPE = []string{fingerprint.CPE("neo4j", "neo4j", version)}
	default:
		svc.Product, svc.Version = name, version
	}
}

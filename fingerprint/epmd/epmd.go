// Package epmd recognises the Erlang Port Mapper Daemon, which RabbitMQ,
// CouchDB, Riak and every distributed Erlang node register with, by
// NAMES_REQ (Erlang's "Distribution Protocol", EPMD protocol): epmd
// answers with the port it listens on, as a 32-bit number, and one line
// "name <node> at port <port>" per node registered.
package epmd

import (
	"context"
	"encoding/binary"
	"regexp"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "epmd", Proto: portspec.TCP, Ports: []uint16{4369}, Rarity: 8}
}

// NamesReq is NAMES_REQ: length 1, 'n'.
const NamesReq = "\x00\x01n"

const answerMax = 8192

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	// epmd closes the connection after its answer: read until then,
	// unless the first four bytes cannot be a port.
	notPort := func(b []byte) bool {
		return len(b) >= 4 && (binary.BigEndian.Uint32(b) > 0xffff || binary.BigEndian.Uint32(b) == 0)
	}
	b, err := c.Exchange([]byte(NamesReq), notPort, answerMax)
	svc, perr := Parse(b, c.Addr().Port())
	if perr != nil && len(b) == 0 && err != nil {
		return nil, err
	}
	return svc, perr
}

// nameLine is one node of the answer.
var nameLine = regexp.MustCompile(`^name (\S{1,255}) at port ([0-9]{1,5})$`)

// Parse reads the answer to NamesReq from the service on port: its own
// port number, then the registered nodes. An answer without nodes names
// epmd only when the number is port (0 when unknown never matches).
func Parse(b []byte, port uint16) (*record.Service, error) {
	if len(b) < 4 || binary.BigEndian.Uint32(b) > 0xffff || binary.BigEndian.Uint32(b) == 0 {
		return nil, fingerprint.ErrNoMatch
	}
	own := binary.BigEndian.Uint32(b)
	text := string(b[4:])
	if text == "" && own != uint32(port) {
		return nil, fingerprint.ErrNoMatch
	}
	if text != "" && !strings.HasSuffix(text, "\n") {
		return nil, fingerprint.ErrNoMatch
	}
	var nodes []string
	for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if l == "" && text == "" {
			break
		}
		m := nameLine.FindStringSubmatch(l)
		if m == nil {
			return nil, fingerprint.ErrNoMatch
		}
		nodes = append(nodes, fingerprint.Printable([]byte(m[1]), 40)+":"+m[2])
	}
	svc := &record.Service{Name: "epmd", Product: "Erlang Port Mapper Daemon", Confidence: 10,
		CPE: []string{fingerprint.CPE("erlang", "erlang/otp", "")}}
	if len(nodes) > 0 {
		if len(nodes) > 8 {
			nodes = append(nodes[:8], "...")
		}
		svc.ExtraInfo = "nodes: " + strings.Join(nodes, ", ")
	} else {
		svc.Confidence = 8
		svc.ExtraInfo = "no nodes"
	}
	return svc, nil
}

// Package rethinkdb recognises RethinkDB servers by the handshake of
// their client driver port (protocol V1_0, "Writing RethinkDB drivers"):
// the client sends the magic number 0x34c2bdc3, little-endian, and the
// server answers a NUL-terminated JSON object with success, its protocol
// version range and server_version.
package rethinkdb

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "rethinkdb", Proto: portspec.TCP, Ports: []uint16{28015}, Rarity: 8}
}

// Magic is V1_0's magic number, little-endian.
const Magic = "\xc3\xbd\xc2\x34"

const answerMax = 2048

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := c.Exchange([]byte(Magic), func(b []byte) bool { return bytes.IndexByte(b, 0) >= 0 }, answerMax)
	svc, perr := Parse(b)
	if perr != nil && len(b) == 0 && err != nil {
		return nil, err
	}
	return svc, perr
}

// hello is the server's answer to the magic number.
type hello struct {
	Success       *bool   `json:"success"`
	MinProtocol   *int    `json:"min_protocol_version"`
	MaxProtocol   *int    `json:"max_protocol_version"`
	ServerVersion string  `json:"server_version"`
	Error         *string `json:"error"`
}

// Parse reads the answer to Magic: one JSON object ended by a NUL, with
// success true and the protocol range, or success false and an error.
// Servers older than 2.3 answer V1_0 in plain text, "ERROR: ...", which
// names RethinkDB only when it says so.
func Parse(b []byte) (*record.Service, error) {
	end := bytes.IndexByte(b, 0)
	if end < 0 || end != len(b)-1 {
		return nil, fingerprint.ErrNoMatch
	}
	svc := &record.Service{Name: "rethinkdb", Product: "RethinkDB", Confidence: 10}
	if text := string(b[:end]); strings.HasPrefix(text, "ERROR: ") && strings.Contains(text, "RethinkDB") {
		svc.Confidence = 8
		svc.ExtraInfo = "error: " + fingerprint.Printable([]byte(strings.TrimSpace(text[7:])), 200)
		return svc, nil
	}
	var h hello
	dec := json.NewDecoder(bytes.NewReader(b[:end]))
	if err := dec.Decode(&h); err != nil || dec.More() || h.Success == nil {
		return nil, fingerprint.ErrNoMatch
	}
	switch {
	case *h.Success && h.MinProtocol != nil && h.MaxProtocol != nil && h.ServerVersion != "":
		v := fingerprint.Printable([]byte(h.ServerVersion), 40)
		if strings.ContainsAny(v, ` \`) {
			return nil, fingerprint.ErrNoMatch
		}
		svc.Version = v
		svc.CPE = []string{fingerprint.CPE("rethinkdb", "rethinkdb", v)}
	case !*h.Success && h.Error != nil && *h.Error != "":
		svc.ExtraInfo = "error: " + fingerprint.Printable([]byte(*h.Error), 100)
	default:
		return nil, fingerprint.ErrNoMatch
	}
	return svc, nil
}

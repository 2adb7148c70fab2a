// Package nsq recognises nsqd, the NSQ message queue daemon, by its TCP
// protocol (nsq.io, "TCP Protocol Spec"): the magic "  V2", then
// IDENTIFY with feature negotiation; nsqd answers a response frame (size,
// frame type 0, data) holding a JSON object of its settings and version,
// or an error frame (type 1) with an E_ code.
package nsq

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "nsq", Proto: portspec.TCP, Ports: []uint16{4150}, Rarity: 8}
}

const (
	magic         = "  V2"
	frameResponse = 0
	frameError    = 1
	answerMax     = 4096
)

// identify is the IDENTIFY body: no TLS, compression or auth asked.
const identify = `{"client_id":"ajar","hostname":"ajar","user_agent":"ajar/1","feature_negotiation":true}`

// Request is the magic and IDENTIFY.
func Request() []byte {
	b := []byte(magic + "IDENTIFY\n")
	b = binary.BigEndian.AppendUint32(b, uint32(len(identify)))
	return append(b, identify...)
}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := c.Exchange(Request(), frameDone, answerMax)
	svc, perr := Parse(b)
	if perr != nil && len(b) == 0 && err != nil {
		return nil, err
	}
	return svc, perr
}

// frameDone is a ReadUntil test: a whole frame by its size.
func frameDone(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	n := binary.BigEndian.Uint32(b)
	return n > answerMax || uint64(len(b)) >= 4+uint64(n)
}

// settings are the fields of nsqd's IDENTIFY answer that name it.
type settings struct {
	MaxRdyCount   *int64 `json:"max_rdy_count"`
	MaxMsgTimeout *int64 `json:"max_msg_timeout"`
	Version       string `json:"version"`
	AuthRequired  bool   `json:"auth_required"`
	TLS           bool   `json:"tls_v1"`
}

// Parse reads the answer to Request: one whole frame.
func Parse(b []byte) (*record.Service, error) {
	if len(b) < 8 || uint64(binary.BigEndian.Uint32(b)) != uint64(len(b)-4) {
		return nil, fingerprint.ErrNoMatch
	}
	data := b[8:]
	svc := &record.Service{Name: "nsq", Product: "nsqd", Confidence: 10}
	switch binary.BigEndian.Uint32(b[4:]) {
	case frameResponse:
		var s settings
		dec := json.NewDecoder(bytes.NewReader(data))
		if err := dec.Decode(&s); err != nil || dec.More() || s.MaxRdyCount == nil || s.MaxMsgTimeout == nil {
			return nil, fingerprint.ErrNoMatch
		}
		if v := fingerprint.Printable([]byte(s.Version), 30); v != "" && !strings.ContainsAny(v, ` \`) {
			svc.Version = v
		}
		var extra []string
		if s.TLS {
			extra = append(extra, "TLS offered")
		}
		if s.AuthRequired {
			extra = append(extra, "auth required")
		}
		svc.ExtraInfo = strings.Join(extra, "; ")
	case frameError:
		// E_INVALID, E_BAD_BODY...: an upper-case code, a space, a text.
		code, _, _ := strings.Cut(string(data), " ")
		if !strings.HasPrefix(code, "E_") || strings.Trim(code[2:], "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") != "" {
			return nil, fingerprint.ErrNoMatch
		}
		svc.Confidence = 8
		svc.ExtraInfo = "error: " + fingerprint.Printable(data, 100)
	default:
		return nil, fingerprint.ErrNoMatch
	}
	svc.CPE = []string{fingerprint.CPE("nsq", "nsq", svc.Version)}
	return svc, nil
}

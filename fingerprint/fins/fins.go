// Package fins recognises Omron PLCs by FINS over TCP (Omron's "FINS/TCP"
// of its Ethernet units' manuals): the client asks for a FINS node
// address ("FINS", length 12, command 0, no error, node 0 for automatic),
// and the PLC answers ("FINS", length 16, command 1) with the client's
// and its own node addresses, or with an error code. The plugin then
// sends the FINS command Controller Data Read (05 01), whose answer names
// the controller's model and version.
package fins

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/internal/ask"
	"github.com/ajarsec/ajar/fingerprint/internal/banner"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "omron-fins", Proto: portspec.TCP, Ports: []uint16{9600}, Rarity: 8}
}

const (
	magic     = "FINS"
	headerLen = 16
	// Commands of the FINS/TCP header.
	cmdNodeRequest = 0
	cmdNodeAnswer  = 1
	cmdFrame       = 2
	maxAnswer      = 1024
)

// NodeRequest asks for a node address, 0 for one the PLC chooses.
func NodeRequest() []byte {
	return []byte{'F', 'I', 'N', 'S', 0, 0, 0, 12, 0, 0, 0, cmdNodeRequest, 0, 0, 0, 0, 0, 0, 0, 0}
}

// ControllerDataRead is the FINS command 05 01 from node client to node
// server of the local network, in a FINS/TCP frame.
func ControllerDataRead(client, server byte) []byte {
	fins := []byte{0x80, 0, 2, 0, server, 0, 0, client, 0, 0x61, 0x05, 0x01}
	b := []byte(magic)
	b = binary.BigEndian.AppendUint32(b, uint32(8+len(fins)))
	b = binary.BigEndian.AppendUint32(b, cmdFrame)
	b = binary.BigEndian.AppendUint32(b, 0)
	return append(b, fins...)
}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := ask.Exchange(c, NodeRequest(), whole, maxAnswer)
	if err != nil {
		return nil, err
	}
	n, err := ParseNodes(b)
	if err != nil {
		return nil, err
	}
	svc := &record.Service{Name: "omron-fins", Product: "Omron PLC", Confidence: 10}
	if n.Error != 0 {
		svc.ExtraInfo = fmt.Sprintf("node address refused: error %#x", n.Error)
		return svc, nil
	}
	svc.ExtraInfo = fmt.Sprintf("PLC node %d", n.Server)
	if b, err := c.Exchange(ControllerDataRead(byte(n.Client), byte(n.Server)), whole, maxAnswer); err == nil {
		if model, version, err := ParseController(b); err == nil {
			svc.Product, svc.Version = "Omron "+model, version
			svc.CPE = []string{fingerprint.CPEPart("h", "omron", model, "")}
		}
	}
	return svc, nil
}

// whole is a ReadUntil test: the FINS/TCP header's length says the
// frame is all there.
func whole(b []byte) bool {
	return len(b) >= 8 && uint64(len(b)) >= 8+uint64(binary.BigEndian.Uint32(b[4:]))
}

// Nodes is the answer to NodeRequest.
type Nodes struct {
	Client, Server uint32
	// Error is the FINS/TCP error code, 0 when the address was given.
	Error uint32
}

// header reads one FINS/TCP frame: magic, a length that counts the rest
// exactly, the command and error code.
func header(b []byte) (cmd, errCode uint32, body []byte, ok bool) {
	if len(b) < headerLen || string(b[:4]) != magic || uint64(len(b)) != 8+uint64(binary.BigEndian.Uint32(b[4:])) {
		return 0, 0, nil, false
	}
	return binary.BigEndian.Uint32(b[8:]), binary.BigEndian.Uint32(b[12:]), b[headerLen:], true
}

// ParseNodes reads the answer to NodeRequest: command 1 with the two
// node addresses, or an error code.
func ParseNodes(b []byte) (*Nodes, error) {
	cmd, code, body, ok := header(b)
	if !ok {
		return nil, fingerprint.ErrNoMatch
	}
	switch {
	case cmd == cmdNodeAnswer && code == 0 && len(body) == 8:
		return &Nodes{Client: binary.BigEndian.Uint32(body), Server: binary.BigEndian.Uint32(body[4:])}, nil
	case code != 0 && (cmd == cmdNodeAnswer || cmd == 3) && len(body) <= 8:
		return &Nodes{Error: code}, nil
	}
	return nil, fingerprint.ErrNoMatch
}

// ParseController reads the answer to ControllerDataRead: a FINS
// response header (ICF with the response bit), 05 01, end code 0, then
// the model and the version, 20 bytes each.
func ParseController(b []byte) (model, version string, err error) {
	cmd, code, body, ok := header(b)
	if !ok || cmd != cmdFrame || code != 0 || len(body) < 10+4+40 || body[0]&0x40 == 0 ||
		body[10] != 0x05 || body[11] != 0x01 || body[12] != 0 || body[13] != 0 {
		return "", "", fingerprint.ErrNoMatch
	}
	model, version = field(body[14:34]), field(body[34:54])
	if model == "" {
		return "", "", fingerprint.ErrNoMatch
	}
	return model, version, nil
}

// field is the text of a fixed field, up to its first NUL.
func field(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	s := string(bytes.TrimSpace(b))
	if !banner.IsText(s) {
		return ""
	}
	return s
}

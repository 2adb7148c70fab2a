// Package zabbix recognises Zabbix agents by a passive check of the item
// agent.version in the Zabbix protocol (Zabbix manual, "Header and data
// length"): "ZBXD", flags 1, the data's length in eight bytes
// little-endian, then the item key; the agent answers in the same frame
// with the value ("6.0.14"), or ZBX_NOTSUPPORTED and a reason. An agent
// that does not list the asker in Server= closes without a word.
package zabbix

import (
	"bytes"
	"context"
	"encoding/binary"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/internal/banner"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "zabbix-agent", Proto: portspec.TCP, Ports: []uint16{10050}, Rarity: 6}
}

const (
	magic     = "ZBXD"
	headerLen = 13
	// dataMax bounds the value read.
	dataMax = 1024
)

// Request frames an item key as a passive check.
func Request(key string) []byte {
	b := append([]byte(magic), 1)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(key)))
	return append(b, key...)
}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := c.Exchange(Request("agent.version"), done, headerLen+dataMax)
	if err != nil && !done(b) {
		if len(b) == 0 {
			return nil, err
		}
		return nil, fingerprint.ErrNoMatch
	}
	return Parse(b)
}

// done is a ReadUntil test: a whole frame, or bytes that cannot start
// one.
func done(b []byte) bool {
	if len(b) < headerLen {
		return len(b) > 0 && !bytes.HasPrefix([]byte(magic), b[:min(len(b), 4)])
	}
	n := binary.LittleEndian.Uint64(b[5:])
	return n > dataMax || len(b) >= headerLen+int(n)
}

// Parse reads the agent's answer to agent.version.
func Parse(b []byte) (*record.Service, error) {
	if len(b) < headerLen || string(b[:4]) != magic || b[4]&^0x07 != 0 {
		return nil, fingerprint.ErrNoMatch
	}
	n := binary.LittleEndian.Uint64(b[5:])
	if n > dataMax || len(b) < headerLen+int(n) {
		return nil, fingerprint.ErrNoMatch
	}
	v := b[headerLen : headerLen+int(n)]
	svc := &record.Service{Name: "zabbix-agent", Product: "Zabbix agent", Confidence: 10}
	switch {
	case bytes.HasPrefix(v, []byte("ZBX_NOTSUPPORTED")):
		svc.ExtraInfo = "agent.version not supported"
	case len(v) > 0 && len(v) <= 32 && v[0] >= '0' && v[0] <= '9' && banner.IsText(v) && !bytes.ContainsAny(v, " \t"):
		svc.Version = string(v)
	default:
		return nil, fingerprint.ErrNoMatch
	}
	svc.CPE = []string{fingerprint.CPE("zabbix", "zabbix", svc.Version)}
	return svc, nil
}

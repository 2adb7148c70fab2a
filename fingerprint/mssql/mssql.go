// Package mssql recognises Microsoft SQL Server by the TDS PRELOGIN
// exchange ([MS-TDS] section 2.2.6.5): the server's answer carries its
// version (major, minor, build) in the VERSION option and its encryption
// setting in the ENCRYPTION option.
package mssql

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "mssql", Proto: portspec.TCP, Ports: []uint16{1433}, Rarity: 7}
}

// TDS packet types and PRELOGIN option tokens.
const (
	headerLen       = 8
	typePrelogin    = 0x12
	typeTabular     = 0x04
	statusEOM       = 0x01
	optVersion      = 0x00
	optEncryption   = 0x01
	optInstance     = 0x02
	optThreadID     = 0x03
	optMARS         = 0x04
	optTerminator   = 0xff
	maxPacket       = 32 << 10
	maxOptions      = 32
	encryptOff      = 0x00
	encryptOn       = 0x01
	encryptNotSup   = 0x02
	encryptRequired = 0x03
)

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := c.Exchange(Prelogin(), packetComplete, maxPacket)
	if len(b) == 0 {
		if err == nil || errors.Is(err, fingerprint.ErrBudget) {
			err = fingerprint.ErrNoMatch
		}
		return nil, err
	}
	return ParsePrelogin(b)
}

// Prelogin is a PRELOGIN packet with a zero client version, encryption
// off (the server then says its own setting), no instance, thread ID 0
// and MARS off.
func Prelogin() []byte {
	opts := []struct {
		token byte
		data  []byte
	}{
		{optVersion, make([]byte, 6)},
		{optEncryption, []byte{encryptOff}},
		{optInstance, []byte{0}},
		{optThreadID, make([]byte, 4)},
		{optMARS, []byte{0}},
	}
	table := len(opts)*5 + 1
	body := make([]byte, 0, table+12)
	var data []byte
	for _, o := range opts {
		body = append(body, o.token)
		body = binary.BigEndian.AppendUint16(body, uint16(table+len(data)))
		body = binary.BigEndian.AppendUint16(body, uint16(len(o.data)))
		data = append(data, o.data...)
	}
	body = append(append(body, optTerminator), data...)
	pkt := []byte{typePrelogin, statusEOM, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint16(pkt[2:], uint16(headerLen+len(body)))
	return append(pkt, body...)
}

// packetComplete is a ReadUntil test: the TDS packet its header announces
// is whole, or the header shows it is no TDS answer.
func packetComplete(b []byte) bool {
	if len(b) >= 1 && b[0] != typeTabular {
		return true
	}
	if len(b) < headerLen {
		return false
	}
	return len(b) >= int(binary.BigEndian.Uint16(b[2:]))
}

// ParsePrelogin reads the server's PRELOGIN answer.
func ParsePrelogin(b []byte) (*record.Service, error) {
	if len(b) < headerLen || b[0] != typeTabular || b[1]&statusEOM == 0 {
		return nil, fingerprint.ErrNoMatch
	}
	n := int(binary.BigEndian.Uint16(b[2:]))
	if n < headerLen+6 || n > len(b) {
		return nil, fingerprint.ErrNoMatch
	}
	opts, err := parseOptions(b[headerLen:n])
	if err != nil {
		return nil, err
	}
	v, ok := opts[optVersion]
	if !ok || len(v) < 6 {
		return nil, fingerprint.ErrNoMatch
	}
	major, minor := int(v[0]), int(v[1])
	build, sub := binary.BigEndian.Uint16(v[2:]), binary.BigEndian.Uint16(v[4:])
	svc := &record.Service{Name: "mssql", Product: "Microsoft SQL Server", Confidence: 10}
	svc.Version = fmt.Sprintf("%d.%d.%d", major, minor, build)
	if sub != 0 {
		svc.Version += fmt.Sprintf(".%d", sub)
	}
	var info []string
	year := releaseYear(major, minor)
	if year != "" {
		info = append(info, "SQL Server "+year)
	}
	cpeVersion, _, _ := strings.Cut(year, " ")
	svc.CPE = []string{fingerprint.CPE("microsoft", "sql_server", cpeVersion)}
	if e, ok := opts[optEncryption]; ok && len(e) == 1 {
		info = append(info, "encryption "+encryptionName(e[0]))
	}
	if inst, ok := opts[optInstance]; ok {
		if name := strings.TrimRight(string(inst), "\x00"); name != "" && name != "MSSQLServer" {
			info = append(info, "instance "+fingerprint.Printable([]byte(name), 64))
		}
	}
	svc.ExtraInfo = strings.Join(info, "; ")
	return svc, nil
}

// parseOptions reads the option table of a PRELOGIN body; every option's
// data must lie in the body, after the table.
func parseOptions(body []byte) (map[byte][]byte, error) {
	type entry struct {
		token   byte
		off, ln int
	}
	var entries []entry
	for i := 0; ; i++ {
		if i >= maxOptions || 5*i >= len(body) {
			return nil, fingerprint.ErrNoMatch
		}
		e := body[5*i:]
		if e[0] == optTerminator {
			break
		}
		if len(e) < 5 {
			return nil, fingerprint.ErrNoMatch
		}
		entries = append(entries, entry{e[0], int(binary.BigEndian.Uint16(e[1:])), int(binary.BigEndian.Uint16(e[3:]))})
	}
	tableEnd := 5*len(entries) + 1
	opts := make(map[byte][]byte, len(entries))
	for _, e := range entries {
		if e.off+e.ln > len(body) || (e.ln > 0 && e.off < tableEnd) {
			return nil, fingerprint.ErrNoMatch
		}
		if _, dup := opts[e.token]; dup {
			return nil, fingerprint.ErrNoMatch
		}
		opts[e.token] = body[e.off : e.off+e.ln]
	}
	return opts, nil
}

func encryptionName(e byte) string {
	switch e {
	case encryptOff:
		return "off"
	case encryptOn:
		return "on"
	case encryptNotSup:
		return "not supported"
	case encryptRequired:
		return "required"
	}
	return fmt.Sprintf("0x%02x", e)
}

// releaseYear names the SQL Server release of a major.minor version.
func releaseYear(major, minor int) string {
	switch major {
	case 8:
		return "2000"
	case 9:
		return "2005"
	case 10:
		if minor >= 50 {
			return "2008 R2"
		}
		return "2008"
	case 11:
		return "2012"
	case 12:
		return "2014"
	case 13:
		return "2016"
	case 14:
		return "2017"
	case 15:
		return "2019"
	case 16:
		return "2022"
	case 17:
		return "2025"
	}
	return ""
}

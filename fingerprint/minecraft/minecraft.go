// Package minecraft recognises Minecraft Java Edition servers by the
// Server List Ping of their protocol: a Handshake packet (next state 1,
// status) and a Status Request, answered by a Status Response packet
// whose JSON names the version ("1.20.4", or a server's own "Paper
// 1.20.4") and the protocol number, and counts the players. The JSON
// must parse, with a version name and a protocol number, to name the
// service.
package minecraft

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/internal/ask"
	"github.com/ajarsec/ajar/fingerprint/internal/banner"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "minecraft", Proto: portspec.TCP, Ports: []uint16{25565}, Rarity: 8}
}

// maxAnswer bounds the status response, whose favicon may take tens of
// kilobytes.
const maxAnswer = 60 << 10

// Request is the Handshake (protocol version -1, as a client that only
// pings sends, the host and port given, next state 1) and the Status
// Request, each a packet prefixed by its length.
func Request(host string, port uint16) []byte {
	var hs []byte
	hs = binary.AppendUvarint(hs, 0x00)
	hs = binary.AppendUvarint(hs, 0xffffffff) // -1 as a VarInt
	hs = binary.AppendUvarint(hs, uint64(len(host)))
	hs = append(hs, host...)
	hs = binary.BigEndian.AppendUint16(hs, port)
	hs = binary.AppendUvarint(hs, 1)
	b := binary.AppendUvarint(nil, uint64(len(hs)))
	b = append(b, hs...)
	return append(b, 1, 0x00)
}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := ask.Exchange(c, Request(c.Host(), c.Addr().Port()), whole, maxAnswer)
	if err != nil {
		return nil, err
	}
	return Parse(b)
}

// varint reads a protocol VarInt (at most 5 bytes, as an unsigned
// LEB128): its value and length, 0 when b does not hold a whole one.
func varint(b []byte) (uint64, int) {
	v, n := binary.Uvarint(b)
	if n <= 0 || n > 5 {
		return 0, 0
	}
	return v, n
}

// whole is a ReadUntil test: the packet's length says it all arrived.
func whole(b []byte) bool {
	v, n := varint(b)
	return n > 0 && uint64(len(b)) >= uint64(n)+v
}

// Status is the part of the status JSON the plugin reads.
type Status struct {
	Version *struct {
		Name     string `json:"name"`
		Protocol *int   `json:"protocol"`
	} `json:"version"`
	Players *struct {
		Max    int `json:"max"`
		Online int `json:"online"`
	} `json:"players"`
}

// Parse reads the Status Response: its length, packet id 0, and a
// string of JSON with a version name and protocol number.
func Parse(b []byte) (*record.Service, error) {
	size, n := varint(b)
	if n == 0 || uint64(len(b)-n) != size {
		return nil, fingerprint.ErrNoMatch
	}
	p := b[n:]
	if len(p) < 3 || p[0] != 0x00 {
		return nil, fingerprint.ErrNoMatch
	}
	slen, m := varint(p[1:])
	if m == 0 || uint64(len(p)-1-m) != slen {
		return nil, fingerprint.ErrNoMatch
	}
	var st Status
	if err := json.Unmarshal(p[1+m:], &st); err != nil || st.Version == nil || st.Version.Protocol == nil ||
		st.Version.Name == "" || !banner.IsText(st.Version.Name) {
		return nil, fingerprint.ErrNoMatch
	}
	return describe(&st), nil
}

// versionName is a version name made of a server's name and a release,
// as "Paper 1.20.4"; a bare release is Mojang's server.
var versionName = regexp.MustCompile(`^(?:(\S[^\n]*?) )?(\d+\.\d+(?:\.\d+)?)$`)

func describe(st *Status) *record.Service {
	svc := &record.Service{Name: "minecraft", Product: "Minecraft", Confidence: 10}
	name := st.Version.Name
	if len(name) > 64 {
		name = name[:64]
	}
	info := []string{fmt.Sprintf("protocol %d", *st.Version.Protocol)}
	if m := versionName.FindStringSubmatch(name); m != nil {
		svc.Version = m[2]
		if m[1] != "" {
			info = append(info, "server "+m[1])
		} else {
			svc.CPE = []string{fingerprint.CPE("mojang", "minecraft", m[2])}
		}
	} else {
		info = append(info, "version "+name)
	}
	if st.Players != nil {
		info = append(info, fmt.Sprintf("%d/%d players", st.Players.Online, st.Players.Max))
	}
	svc.ExtraInfo = strings.Join(info, "; ")
	return svc
}

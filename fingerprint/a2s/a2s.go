// Package a2s recognises game servers that answer Valve's server queries
// (Source and GoldSource engine games: Counter-Strike, Team Fortress 2,
// Garry's Mod, Rust, ARK and many more, most on UDP 27015) by A2S_INFO,
// with the challenge exchange that servers have asked for since 2020:
// the server answers our request with S2C_CHALLENGE, we send the request
// again with its four bytes, and it answers with its info: name, map,
// game, players, operating system, VAC and version. The info is named
// only when every field reads, to its last byte.
package a2s

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

const (
	name   = "a2s"
	port   = 27015
	rarity = 8
	// oob begins every connectionless packet; the answers' types follow.
	oob           = "\xff\xff\xff\xff"
	typeInfo      = 'I'
	typeChallenge = 'A'
	// shipAppID is The Ship, whose info has three more bytes.
	shipAppID = 2400
)

func init() {
	fingerprint.Register(plugin{})
	fingerprint.RegisterUDPProbe(fingerprint.UDPProbe{Name: name, Ports: []uint16{port}, Datagrams: [][]byte{Query(nil)}, Rarity: rarity})
}

// Query is A2S_INFO: the prefix, 'T', "Source Engine Query" and its NUL,
// then the server's challenge when it asked for one.
func Query(challenge []byte) []byte {
	b := []byte(oob + "TSource Engine Query\x00")
	return append(b, challenge...)
}

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: name, Proto: portspec.UDP, Ports: []uint16{port}, Rarity: rarity}
}

// Identify sends Query; a challenge is sent back once with the query, and
// only the info that follows names the server.
func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	var challenge []byte
	first := func(b []byte) (*record.Service, error) {
		if ch, ok := Challenge(b); ok {
			challenge = ch
			return &record.Service{}, nil
		}
		return ParseInfo(b)
	}
	svc, err := fingerprint.ExchangeUDP(c, [][]byte{Query(nil)}, first)
	if err != nil || challenge == nil {
		return svc, err
	}
	return fingerprint.ExchangeUDP(c, [][]byte{Query(challenge)}, ParseInfo)
}

// Challenge reads S2C_CHALLENGE: the prefix, 'A' and four bytes.
func Challenge(b []byte) ([]byte, bool) {
	if len(b) != 9 || string(b[:5]) != oob+string(rune(typeChallenge)) {
		return nil, false
	}
	return bytes.Clone(b[5:]), true
}

// Info is what a server's A2S_INFO answer tells.
type Info struct {
	Protocol   int    `json:"protocol"`
	Name       string `json:"name"`
	Map        string `json:"map"`
	Folder     string `json:"folder"`
	Game       string `json:"game"`
	AppID      int    `json:"app_id"`
	Players    int    `json:"players"`
	MaxPlayers int    `json:"max_players"`
	Bots       int    `json:"bots"`
	ServerType string `json:"server_type"`
	OS         string `json:"os"`
	Password   bool   `json:"password"`
	VAC        bool   `json:"vac"`
	Version    string `json:"version"`
	Keywords   string `json:"keywords,omitempty"`
}

var (
	serverTypes = map[byte]string{'d': "dedicated", 'l': "listen", 'p': "SourceTV"}
	systems     = map[byte]string{'l': "Linux", 'w': "Windows", 'm': "macOS", 'o': "macOS"}
)

// ParseInfo reads the answer to A2S_INFO (Valve's "Server queries"): the
// prefix, 'I', the protocol, four NUL-terminated strings, the app ID,
// players, maximum, bots, server type, environment, visibility and VAC
// (The Ship's three bytes after), the version string, and the extra data
// its flag byte announces, every byte accounted for. Anything else is
// ErrNoMatch.
func ParseInfo(b []byte) (*record.Service, error) {
	if len(b) < 6 || string(b[:5]) != oob+string(rune(typeInfo)) {
		return nil, fingerprint.ErrNoMatch
	}
	r := &reader{b: b[5:]}
	in := Info{Protocol: int(r.byte())}
	in.Name, in.Map, in.Folder, in.Game = r.str(), r.str(), r.str(), r.str()
	in.AppID = int(r.u16())
	in.Players, in.MaxPlayers, in.Bots = int(r.byte()), int(r.byte()), int(r.byte())
	st, env, vis, vac := r.byte(), r.byte(), r.byte(), r.byte()
	if in.AppID == shipAppID {
		r.skip(3)
	}
	in.Version = r.str()
	if len(r.b) > 0 {
		extra(r, &in)
	}
	var ok bool
	in.ServerType, ok = serverTypes[st|0x20]
	in.OS, _ = systems[env|0x20]
	if r.bad || len(r.b) != 0 || !ok || in.OS == "" || vis > 1 || vac > 1 || in.Folder == "" {
		return nil, fingerprint.ErrNoMatch
	}
	in.Password, in.VAC = vis == 1, vac == 1
	return describe(in), nil
}

// extra reads the extra data flag and the fields it announces.
func extra(r *reader, in *Info) {
	edf := r.byte()
	if edf&0x80 != 0 {
		r.u16() // game port
	}
	if edf&0x10 != 0 {
		r.skip(8) // SteamID
	}
	if edf&0x40 != 0 {
		r.u16() // SourceTV port
		r.str() // SourceTV name
	}
	if edf&0x20 != 0 {
		in.Keywords = r.str()
	}
	if edf&0x01 != 0 {
		r.skip(8) // game ID
	}
}

func describe(in Info) *record.Service {
	svc := &record.Service{Name: name, Confidence: 10, Product: clean(in.Game), Version: clean(in.Version), Detail: in}
	extra := []string{
		fmt.Sprintf("map %s", clean(in.Map)),
		fmt.Sprintf("%d/%d players", in.Players, in.MaxPlayers),
		in.ServerType + " on " + in.OS,
	}
	if in.VAC {
		extra = append(extra, "VAC")
	}
	if in.Password {
		extra = append(extra, "password")
	}
	if in.Name != "" {
		extra = append(extra, "host "+clean(in.Name))
	}
	svc.ExtraInfo = strings.Join(extra, "; ")
	return svc
}

// clean keeps printable ASCII, at most 64 bytes.
func clean(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < 0x20 || r >= 0x7f {
			return -1
		}
		return r
	}, s[:min(len(s), 64)]))
}

// reader reads little-endian fields and NUL-terminated strings, and
// notes when bytes run out.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) skip(n int) []byte {
	if r.bad || len(r.b) < n {
		r.bad = true
		return make([]byte, n)
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) byte() byte  { return r.skip(1)[0] }
func (r *reader) u16() uint16 { return binary.LittleEndian.Uint16(r.skip(2)) }

func (r *reader) str() string {
	i := bytes.IndexByte(r.b, 0)
	if r.bad || i < 0 {
		r.bad = true
		return ""
	}
	s := string(r.b[:i])
	r.b = r.b[i+1:]
	return s
}

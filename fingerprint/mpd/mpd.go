// Package mpd recognises the Music Player Daemon by its greeting (MPD
// protocol documentation, "Protocol overview"): "OK MPD <protocol
// version>\n". The version is the protocol's, not the daemon's (MPD
// 0.23.12 speaks protocol 0.23.5).
package mpd

import (
	"bytes"
	"context"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "mpd", Proto: portspec.TCP, Ports: []uint16{6600}, ServerFirst: true, Rarity: 7}
}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	return Parse(c.Banner())
}

// Parse reads the greeting line: "OK MPD " and a dotted version.
func Parse(b []byte) (*record.Service, error) {
	line, _, ok := bytes.Cut(b, []byte("\n"))
	if !ok {
		return nil, fingerprint.ErrNoMatch
	}
	v, ok := bytes.CutPrefix(line, []byte("OK MPD "))
	if !ok || !dotted(v) {
		return nil, fingerprint.ErrNoMatch
	}
	return &record.Service{Name: "mpd", Product: "Music Player Daemon", ExtraInfo: "protocol " + string(v),
		CPE: []string{fingerprint.CPE("musicpd", "music_player_daemon", "")}, Confidence: 10}, nil
}

// dotted reports whether v is a version of two or three numbers.
func dotted(v []byte) bool {
	parts := bytes.Split(v, []byte("."))
	if len(parts) < 2 || len(parts) > 3 {
		return false
	}
	for _, p := range parts {
		if len(p) == 0 || len(p) > 4 {
			return false
		}
		for _, c := range p {
			if c < '0' || c > '9' {
				return false
			}
		}
	}
	return true
}

// Package rsync recognises rsync daemons by their greeting, which names
// the protocol version and, since protocol 30, the digests the daemon
// takes for authentication: "@RSYNCD: 31.0 sha512 sha256 sha1 md5 md4".
package rsync

import (
	"bytes"
	"context"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{
		Name:        "rsync",
		Proto:       portspec.TCP,
		Ports:       []uint16{873},
		ServerFirst: true,
		Rarity:      6,
	}
}

// Identify decides from the greeting alone; listing the modules would
// tell more than a version scan should ask.
func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	return Parse(c.Banner())
}

const greetingPrefix = "@RSYNCD: "

// Parse reads an rsync daemon's greeting line.
func Parse(banner []byte) (*record.Service, error) {
	line, complete := banner, false
	if i := bytes.IndexByte(banner, '\n'); i >= 0 {
		line, complete = banner[:i], true
	}
	rest, ok := bytes.CutPrefix(line, []byte(greetingPrefix))
	if !ok || len(rest) > 256 {
		return nil, fingerprint.ErrNoMatch
	}
	f := strings.Fields(string(rest))
	if len(f) == 0 || !isVersion(f[0]) {
		return nil, fingerprint.ErrNoMatch
	}
	for _, d := range f[1:] {
		if !isWord(d) {
			return nil, fingerprint.ErrNoMatch
		}
	}
	svc := &record.Service{
		Name:       "rsync",
		Product:    "rsyncd",
		ExtraInfo:  "protocol " + f[0],
		CPE:        []string{fingerprint.CPE("samba", "rsync", "")},
		Confidence: 10,
	}
	if len(f) > 1 {
		svc.ExtraInfo += "; auth digests " + strings.Join(f[1:], " ")
	}
	if !complete {
		svc.Confidence = 8
	}
	return svc, nil
}

// isVersion reports whether s is a protocol version: "31" or "31.0".
func isVersion(s string) bool {
	major, minor, dot := strings.Cut(s, ".")
	return isDigits(major) && len(major) <= 3 && (!dot || (isDigits(minor) && len(minor) <= 3))
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isWord reports whether s could name a digest: letters, digits, '-'.
func isWord(s string) bool {
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_') {
			return false
		}
	}
	return s != ""
}

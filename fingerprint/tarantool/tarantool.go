// Package tarantool recognises Tarantool by the greeting of its binary
// protocol (IPROTO, "Binary protocol" in Tarantool's documentation): two
// lines of 64 bytes, the first "Tarantool <version> (Binary) <instance
// UUID>", the second the base64 salt for authentication.
package tarantool

import (
	"context"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/internal/banner"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "tarantool", Proto: portspec.TCP, Ports: []uint16{3301}, ServerFirst: true, Rarity: 7}
}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	return Parse(c.Banner())
}

// lineLen is the length of each greeting line, with its newline.
const lineLen = 64

// Parse reads the greeting's first line: "Tarantool", a version, the
// protocol in parentheses ("Binary", or "Lua console" on an admin
// port), and the instance's UUID.
func Parse(b []byte) (*record.Service, error) {
	if len(b) < lineLen || b[lineLen-1] != '\n' || !banner.IsText(b[:lineLen-1]) {
		return nil, fingerprint.ErrNoMatch
	}
	f := strings.Fields(string(b[:lineLen-1]))
	if len(f) < 3 || f[0] != "Tarantool" || f[1] == "" || f[1][0] < '0' || f[1][0] > '9' {
		return nil, fingerprint.ErrNoMatch
	}
	proto := strings.Join(f[2:], " ")
	if !strings.HasPrefix(proto, "(") {
		return nil, fingerprint.ErrNoMatch
	}
	proto, _, _ = strings.Cut(proto[1:], ")")
	return &record.Service{Name: "tarantool", Product: "Tarantool", Version: f[1], ExtraInfo: proto + " protocol",
		CPE: []string{fingerprint.CPE("tarantool", "tarantool", f[1])}, Confidence: 10}, nil
}

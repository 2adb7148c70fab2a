// Package gopher recognises Gopher servers (RFC 1436) by their root
// menu: the client sends an empty selector, and the server answers with
// menu lines "<type><display>\t<selector>\t<host>\t<port>", ended by a
// line holding a dot.
package gopher

import (
	"bytes"
	"context"
	"strconv"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/internal/banner"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "gopher", Proto: portspec.TCP, Ports: []uint16{70}, Rarity: 7}
}

// menuMax bounds the menu read.
const menuMax = 32 << 10

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := c.Exchange([]byte("\r\n"), menuDone, menuMax)
	if len(b) == 0 && err != nil {
		return nil, err
	}
	// A server may close instead of sending the dot: what came is the
	// menu.
	return Parse(b)
}

// menuDone is a ReadUntil test: the line holding a dot arrived.
func menuDone(b []byte) bool {
	return bytes.HasPrefix(b, []byte(".\r\n")) || bytes.Contains(b, []byte("\n.\r\n")) || bytes.Contains(b, []byte("\n.\n"))
}

// Parse reads a root menu. Every line before the dot must be a menu line
// (an information line, type 'i', may leave selector, host and port
// empty or dummy), and at least one must name a host and a port.
func Parse(b []byte) (*record.Service, error) {
	lines := strings.Split(string(b), "\n")
	items, text := 0, []string{}
	for i, l := range lines {
		l = strings.TrimSuffix(l, "\r")
		if l == "." || (l == "" && i == len(lines)-1) {
			break
		}
		f := strings.Split(l, "\t")
		if len(f) < 4 || len(f[0]) == 0 || !banner.IsText(l) || !isType(f[0][0]) {
			return nil, fingerprint.ErrNoMatch
		}
		if p, err := strconv.Atoi(strings.TrimSpace(f[3])); err == nil && p > 0 && p < 65536 && f[2] != "" {
			items++
		} else if f[0][0] != 'i' && f[0][0] != '3' {
			return nil, fingerprint.ErrNoMatch
		}
		text = append(text, f[0][1:])
	}
	if items == 0 {
		return nil, fingerprint.ErrNoMatch
	}
	svc := &record.Service{Name: "gopher", Confidence: 9}
	products.Apply(svc, strings.Join(text, "\n"))
	return svc, nil
}

// isType reports whether ch is an item type of RFC 1436 or a common
// extension (i information, h HTML, s sound, I image, g GIF, p PNG, d
// document, ; video, c calendar, M MIME, w, P PDF, r, : bitmap).
func isType(ch byte) bool {
	return strings.IndexByte("0123456789+gITihsdpP;cMwr:", ch) >= 0
}

// products are servers that sign their menus.
var products = banner.Products{
	banner.Pattern(`Gophernicus/([0-9][\w.]*)`, "Gophernicus", "gophernicus", "gophernicus"),
	banner.Pattern(`[Pp]y[Gg]opherd`, "PyGopherd", "", ""),
}

// Package svn recognises Subversion's svnserve by its greeting
// (subversion/libsvn_ra_svn/protocol): an S-expression that starts
// "( success ( minver maxver ( mechs ) ( caps ) ) )", naming the protocol
// versions it speaks and its capabilities, never the product's version.
package svn

import (
	"bytes"
	"context"
	"strconv"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "svn", Proto: portspec.TCP, Ports: []uint16{3690}, ServerFirst: true, Rarity: 7}
}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	return Parse(c.Banner())
}

// Parse reads svnserve's greeting. The two protocol versions must be
// small numbers and the capability list a list of words, so that no
// other server's parenthesis passes.
func Parse(b []byte) (*record.Service, error) {
	rest, ok := bytes.CutPrefix(b, []byte("( success ( "))
	if !ok {
		return nil, fingerprint.ErrNoMatch
	}
	f := strings.Fields(string(rest[:min(len(rest), 1024)]))
	if len(f) < 4 || !small(f[0]) || !small(f[1]) || f[2] != "(" {
		return nil, fingerprint.ErrNoMatch
	}
	// After the prefix, two lists are open; the third opened holds the
	// mechanisms, the fourth the capabilities.
	var caps []string
	depth, lists := 2, 0
	for _, w := range f[2:] {
		switch w {
		case "(":
			depth++
			lists++
		case ")":
			depth--
		default:
			if depth == 3 && lists == 2 && len(caps) < 4 {
				caps = append(caps, w)
			}
		}
		if depth < 2 || lists > 2 {
			break
		}
	}
	svc := &record.Service{Name: "svn", Product: "Subversion", Confidence: 10,
		ExtraInfo: "protocol " + f[0] + "-" + f[1],
		CPE:       []string{fingerprint.CPE("apache", "subversion", "")}}
	if len(caps) > 0 {
		svc.ExtraInfo += "; " + strings.Join(caps, " ")
	}
	return svc, nil
}

func small(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= 0 && n < 100
}

// Package ganglia recognises Ganglia's gmond, which writes its cluster's
// state as XML to whoever connects and closes: a document whose root
// element GANGLIA_XML names the version and the source
// ("<GANGLIA_XML VERSION="3.7.2" SOURCE="gmond">"; gmetad writes the same
// with SOURCE="gmetad").
package ganglia

import (
	"bytes"
	"context"
	"regexp"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "ganglia", Proto: portspec.TCP, Ports: []uint16{8649, 8651}, ServerFirst: true, Rarity: 7}
}

// rootMax bounds the search for the root element: it follows a DTD of
// about 3 KB.
const rootMax = 16 << 10

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b := c.Banner()
	if bytes.HasPrefix(b, []byte("<?xml")) && !root.Match(b) {
		// The dump may still be arriving: read on to the root element.
		more, _ := c.ReadUntil(func(m []byte) bool { return root.Match(append(b[:len(b):len(b)], m...)) }, rootMax)
		b = append(b[:len(b):len(b)], more...)
	}
	return Parse(b)
}

var root = regexp.MustCompile(`<GANGLIA_XML VERSION="([0-9][0-9A-Za-z.\-]{0,31})" SOURCE="(gmond|gmetad)"`)

// Parse reads the dump's start: an XML declaration, then the root
// element within rootMax bytes.
func Parse(b []byte) (*record.Service, error) {
	if !bytes.HasPrefix(b, []byte("<?xml")) {
		return nil, fingerprint.ErrNoMatch
	}
	m := root.FindSubmatch(b[:min(len(b), rootMax)])
	if m == nil {
		return nil, fingerprint.ErrNoMatch
	}
	v, src := string(m[1]), string(m[2])
	return &record.Service{Name: "ganglia", Product: "Ganglia " + src, Version: v,
		CPE: []string{fingerprint.CPE("ganglia", "ganglia", v)}, Confidence: 10}, nil
}

// Package citrix recognises Citrix ICA listeners (Citrix Virtual Apps
// and Desktops, XenApp, on port 1494): they greet every connection with
// the ICA detection string "\x7f\x7fICA\x00", and repeat it until the
// client answers. The binary magic names the service when a second
// connection is greeted with it too.
package citrix

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
	return fingerprint.Info{Name: "citrix-ica", Proto: portspec.TCP, Ports: []uint16{1494}, ServerFirst: true, Rarity: 7}
}

// Magic is the ICA detection string.
const Magic = "\x7f\x7fICA\x00"

// Greeting reports whether a banner is the ICA detection string, once
// or repeated.
func Greeting(b []byte) bool {
	if len(b) < len(Magic) {
		return false
	}
	for len(b) >= len(Magic) {
		if !bytes.HasPrefix(b, []byte(Magic)) {
			return false
		}
		b = b[len(Magic):]
	}
	return bytes.HasPrefix([]byte(Magic), b)
}

func (plugin) Identify(ctx context.Context, c *fingerprint.Conn) (*record.Service, error) {
	if !Greeting(c.Banner()) {
		return nil, fingerprint.ErrNoMatch
	}
	again, err := c.Redial(ctx)
	if err != nil {
		return nil, fingerprint.ErrNoMatch
	}
	defer again.Close()
	if !Greeting(again.Banner()) {
		return nil, fingerprint.ErrNoMatch
	}
	return &record.Service{Name: "citrix-ica", Product: "Citrix ICA", Confidence: 10,
		CPE: []string{fingerprint.CPE("citrix", "virtual_apps_and_desktops", "")}}, nil
}

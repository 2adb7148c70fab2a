// Package x11 recognises X servers by the connection setup of the X
// Window System protocol (X11R7 "X Window System Protocol", section 8):
// the client names its byte order and protocol version 11.0, and the
// server answers Failed (0), Success (1) or Authenticate (2) with its own
// protocol version; a Success names the vendor and its release number,
// a Failed says why.
package x11

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/internal/banner"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "x11", Proto: portspec.TCP, Ports: []uint16{6000, 6001, 6002, 6010}, Rarity: 6}
}

// Setup is the connection setup request: little-endian ('l'), protocol
// 11.0, no authorization.
var Setup = []byte{'l', 0, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0}

// replyMax bounds what is read: the vendor sits in the first few hundred
// bytes of a Success that may run to tens of kilobytes.
const replyMax = 4 << 10

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := c.Exchange(Setup, enough, replyMax)
	if err != nil && !enough(b) {
		if len(b) == 0 {
			return nil, err
		}
		return nil, fingerprint.ErrNoMatch
	}
	return Parse(b)
}

// enough is a ReadUntil test: the header, and the vendor or the reason.
func enough(b []byte) bool {
	if len(b) < 8 {
		return false
	}
	switch b[0] {
	case 0:
		return len(b) >= 8+int(b[1])
	case 1:
		return len(b) >= 40 && len(b) >= 40+int(binary.LittleEndian.Uint16(b[24:]))
	}
	return true
}

// Parse reads the server's answer to Setup.
func Parse(b []byte) (*record.Service, error) {
	if len(b) < 8 || b[0] > 2 || binary.LittleEndian.Uint16(b[2:]) != 11 {
		return nil, fingerprint.ErrNoMatch
	}
	minor := binary.LittleEndian.Uint16(b[4:])
	svc := &record.Service{Name: "x11", Confidence: 10, ExtraInfo: fmt.Sprintf("X11.%d", minor)}
	switch b[0] {
	case 0:
		n := int(b[1])
		if len(b) < 8+n {
			return nil, fingerprint.ErrNoMatch
		}
		reason := strings.TrimSpace(string(b[8 : 8+n]))
		if !banner.IsText(reason) {
			return nil, fingerprint.ErrNoMatch
		}
		svc.ExtraInfo = banner.JoinInfo("access denied", reason)
	case 1:
		if len(b) < 40 {
			return nil, fingerprint.ErrNoMatch
		}
		n := int(binary.LittleEndian.Uint16(b[24:]))
		if len(b) < 40+n || n > 256 || !banner.IsText(b[40:40+n]) {
			return nil, fingerprint.ErrNoMatch
		}
		vendor(svc, string(b[40:40+n]), binary.LittleEndian.Uint32(b[8:]))
		svc.ExtraInfo = banner.JoinInfo(svc.ExtraInfo, "open")
	case 2:
		svc.ExtraInfo = banner.JoinInfo(svc.ExtraInfo, "authentication required")
	}
	return svc, nil
}

// vendor names the product from the vendor string and release number.
// X.Org numbers releases major*10^7 + minor*10^5 + patch*10^3 + snap;
// since 21.1 the servers drop the leading "1." (12101007 is 21.1.7).
func vendor(svc *record.Service, v string, release uint32) {
	if v != "The X.Org Foundation" {
		svc.Product = v
		svc.Version = fmt.Sprint(release)
		return
	}
	svc.Product = "X.Org"
	major, minor := release/10000000, release/100000%100
	patch, snap := release/1000%100, release%1000
	switch {
	case major == 1 && minor >= 21:
		svc.Version = fmt.Sprintf("%d.%d.%d", minor, patch, snap)
	default:
		svc.Version = fmt.Sprintf("%d.%d.%d", major, minor, patch)
		if snap != 0 {
			svc.Version += fmt.Sprintf(".%d", snap)
		}
	}
	svc.CPE = []string{fingerprint.CPE("x.org", "xorg-server", svc.Version)}
}

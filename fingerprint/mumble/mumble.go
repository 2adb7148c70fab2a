// Package mumble recognises Mumble voice chat servers (Murmur, uMurmur,
// Grumble) on both of their transports, one port number apart from
// nothing: inside TLS on TCP the server speaks first, a Version message
// (Mumble.proto: type 0, its length, then protobuf fields version,
// release, os, os_version); on UDP it answers a ping of four zero bytes
// and an eight-byte identifier with 24 bytes: its version, the
// identifier, users, maximum users and bandwidth.
package mumble

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

const (
	name    = "mumble"
	port    = 64738
	product = "Mumble server"
	// versionMax bounds the Version message.
	versionMax = 1024
)

func init() {
	fingerprint.Register(plugin{})
	fingerprint.RegisterUDP(fingerprint.UDPProbe{Name: name, Ports: []uint16{port}, Datagrams: [][]byte{Ping}, Rarity: 7},
		ParsePing)
}

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: name, Proto: portspec.TCP, TLSPorts: []uint16{port}, ServerFirst: true, Rarity: 7}
}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	if c.TLS() == nil {
		return nil, fingerprint.ErrNoMatch // Mumble speaks only inside TLS
	}
	b := c.Banner()
	if len(b) >= 6 && len(b) < 6+int(binary.BigEndian.Uint32(b[2:])) && binary.BigEndian.Uint32(b[2:]) <= versionMax {
		more, _ := c.ReadUntil(fingerprint.UntilLen(6+int(binary.BigEndian.Uint32(b[2:]))-len(b)), versionMax)
		b = append(b[:len(b):len(b)], more...)
	}
	return ParseVersion(b)
}

// ParseVersion reads the server's first message: a Version (type 0)
// whose protobuf fields are well formed.
func ParseVersion(b []byte) (*record.Service, error) {
	if len(b) < 6 || binary.BigEndian.Uint16(b) != 0 {
		return nil, fingerprint.ErrNoMatch
	}
	n := binary.BigEndian.Uint32(b[2:])
	if n == 0 || n > versionMax || len(b) < 6+int(n) {
		return nil, fingerprint.ErrNoMatch
	}
	svc := &record.Service{Name: name, Product: product, Confidence: 10}
	var release, osName string
	seen := false
	for p := b[6 : 6+n]; len(p) > 0; {
		key, k := uvarint(p)
		if k <= 0 {
			return nil, fingerprint.ErrNoMatch
		}
		p = p[k:]
		switch key {
		case 1<<3 | 0: // version: major<<16 | minor<<8 | patch
			v, k := uvarint(p)
			if k <= 0 {
				return nil, fingerprint.ErrNoMatch
			}
			svc.Version, seen, p = dotted(uint32(v)), true, p[k:]
		case 2<<3 | 2, 3<<3 | 2, 4<<3 | 2:
			l, k := uvarint(p)
			if k <= 0 || uint64(len(p)-k) < l || !banner.IsText(p[k:k+int(l)]) {
				return nil, fingerprint.ErrNoMatch
			}
			s := string(p[k : k+int(l)])
			if key == 2<<3|2 {
				release = s
			} else if key == 3<<3|2 {
				osName = s
			}
			p = p[k+int(l):]
		case 5<<3 | 0: // version_v2 (1.5): ignored
			_, k := uvarint(p)
			if k <= 0 {
				return nil, fingerprint.ErrNoMatch
			}
			p = p[k:]
		default:
			return nil, fingerprint.ErrNoMatch
		}
	}
	if !seen && release == "" {
		return nil, fingerprint.ErrNoMatch
	}
	if svc.Version == "" || (release != "" && strings.HasPrefix(release, svc.Version)) {
		svc.Version = strings.Fields(release + " ")[0]
		svc.Version, _, _ = strings.Cut(svc.Version, "-")
	}
	svc.ExtraInfo = strings.TrimSpace(strings.Join([]string{release, osName}, " "))
	return svc, nil
}

// Ping is the UDP ping: four zero bytes and our identifier.
var Ping = []byte{0, 0, 0, 0, 'a', 'j', 'a', 'r', 'p', 'i', 'n', 'g'}

// ParsePing reads the answer to Ping.
func ParsePing(b []byte) (*record.Service, error) {
	if len(b) != 24 || b[0] != 0 || string(b[4:12]) != string(Ping[4:]) {
		return nil, fingerprint.ErrNoMatch
	}
	users, max := binary.BigEndian.Uint32(b[12:]), binary.BigEndian.Uint32(b[16:])
	if users > max || max == 0 {
		return nil, fingerprint.ErrNoMatch
	}
	return &record.Service{Name: name, Product: product, Version: dotted(binary.BigEndian.Uint32(b)),
		ExtraInfo: fmt.Sprintf("users %d/%d", users, max), Confidence: 10}, nil
}

// dotted renders a Mumble version, major<<16 | minor<<8 | patch.
func dotted(v uint32) string { return fmt.Sprintf("%d.%d.%d", v>>16&0xffff, v>>8&0xff, v&0xff) }

// uvarint reads a protobuf varint; k <= 0 when there is none.
func uvarint(b []byte) (uint64, int) { return binary.Uvarint(b) }

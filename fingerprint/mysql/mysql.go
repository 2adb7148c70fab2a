// Package mysql recognises MySQL and MariaDB servers by the first packet
// they send: the initial handshake (protocol version 10), which names the
// server version, or an error packet when the server refuses the client's
// host. Where the server offers TLS, the session is upgraded with an
// SSLRequest packet.
package mysql

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"regexp"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{
		Name:        "mysql",
		Proto:       portspec.TCP,
		Ports:       []uint16{3306},
		ServerFirst: true,
		Rarity:      3,
	}
}

// Capability flags of the handshake.
const (
	clientProtocol41     = 0x00000200
	clientSSL            = 0x00000800
	clientSecureConn     = 0x00008000
	clientPluginAuth     = 0x00080000
	maxPacket            = 4 << 10 // no first packet is this long
	charsetUTF8GeneralCI = 33
)

func (plugin) Identify(ctx context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b := c.Banner()
	if len(b) >= 4 {
		n := 4 + (int(b[0]) | int(b[1])<<8 | int(b[2])<<16)
		if n <= maxPacket+4 && len(b) < n {
			// The packet still arriving.
			rest, err := c.ReadUntil(fingerprint.UntilLen(n-len(b)), n-len(b))
			if err != nil {
				return nil, fingerprint.ErrNoMatch
			}
			b = append(append([]byte(nil), b...), rest...)
		}
	}
	svc, hs, err := parse(b)
	if err != nil {
		return nil, err
	}
	if hs != nil && hs.Capabilities&clientSSL != 0 && c.TLS() == nil {
		if err := c.Write(sslRequest(hs.Charset)); err != nil || c.StartTLS(ctx, "SSLRequest") != nil {
			svc.ExtraInfo = joinInfo(svc.ExtraInfo, "SSLRequest failed")
		}
	}
	return svc, nil
}

// sslRequest is the client's SSLRequest packet (sequence 1): capability
// flags asking for TLS, the largest packet, the character set, and 23
// zero bytes.
func sslRequest(charset byte) []byte {
	p := make([]byte, 4+32)
	p[0], p[3] = 32, 1
	binary.LittleEndian.PutUint32(p[4:], clientProtocol41|clientSSL|clientSecureConn|clientPluginAuth)
	binary.LittleEndian.PutUint32(p[8:], 1<<24)
	if charset == 0 {
		charset = charsetUTF8GeneralCI
	}
	p[12] = charset
	return p
}

// Handshake is what a server's initial handshake packet says.
type Handshake struct {
	Version      string
	ConnectionID uint32
	Capabilities uint32
	Charset      byte
	Status       uint16
	AuthPlugin   string
}

// ServerError is an error packet a server sends instead of the handshake.
type ServerError struct {
	Code     uint16
	SQLState string
	Message  string
}

func (e *ServerError) Error() string { return fmt.Sprintf("error %d: %s", e.Code, e.Message) }

var errNotMySQL = fmt.Errorf("not a MySQL packet: %w", fingerprint.ErrNoMatch)

// Parse reads a server's first packet: a handshake or an error.
func Parse(b []byte) (*record.Service, error) {
	svc, _, err := parse(b)
	return svc, err
}

func parse(b []byte) (*record.Service, *Handshake, error) {
	payload, err := packet(b)
	if err != nil {
		return nil, nil, err
	}
	if payload[0] == 0xff {
		se, err := ParseError(payload)
		if err != nil {
			return nil, nil, err
		}
		svc := &record.Service{Name: "mysql", Confidence: 8, ExtraInfo: "refusing: " + se.Error()}
		switch {
		case strings.Contains(se.Message, "MariaDB"):
			svc.Product = "MariaDB"
		case strings.Contains(se.Message, "MySQL"):
			svc.Product = "MySQL"
		}
		return svc, nil, nil
	}
	hs, err := ParseHandshake(payload)
	if err != nil {
		return nil, nil, err
	}
	svc := &record.Service{Name: "mysql", Confidence: 10}
	product, version, extra := splitVersion(hs.Version)
	svc.Product, svc.Version, svc.ExtraInfo = product, version, extra
	switch product {
	case "MariaDB":
		svc.CPE = []string{fingerprint.CPE("mariadb", "mariadb", version)}
	case "MySQL":
		svc.CPE = []string{fingerprint.CPE("oracle", "mysql", version)}
	}
	return svc, &hs, nil
}

// packet checks the header of the first packet (3-byte length, sequence
// 0) and returns its payload.
func packet(b []byte) ([]byte, error) {
	if len(b) < 5 {
		return nil, errNotMySQL
	}
	n := int(b[0]) | int(b[1])<<8 | int(b[2])<<16
	if n == 0 || n > maxPacket || b[3] != 0 || len(b) < 4+n {
		return nil, errNotMySQL
	}
	return b[4 : 4+n], nil
}

// ParseHandshake reads the payload of a protocol 10 handshake.
func ParseHandshake(p []byte) (Handshake, error) {
	var hs Handshake
	if len(p) < 1 || p[0] != 10 {
		return hs, errNotMySQL
	}
	end := bytes.IndexByte(p[1:], 0)
	if end < 1 || end > 64 {
		return hs, errNotMySQL
	}
	hs.Version = string(p[1 : 1+end])
	if hs.Version[0] < '0' || hs.Version[0] > '9' || !isText(hs.Version) {
		return hs, errNotMySQL
	}
	p = p[2+end:]
	// connection id(4) auth-data-1(8) filler(1) capabilities(2)
	if len(p) < 15 || p[12] != 0 {
		return Handshake{}, errNotMySQL
	}
	hs.ConnectionID = binary.LittleEndian.Uint32(p)
	hs.Capabilities = uint32(binary.LittleEndian.Uint16(p[13:]))
	p = p[15:]
	// charset(1) status(2) capabilities(2) auth-data length(1) reserved(10)
	if len(p) < 16 {
		return hs, nil
	}
	hs.Charset = p[0]
	hs.Status = binary.LittleEndian.Uint16(p[1:])
	hs.Capabilities |= uint32(binary.LittleEndian.Uint16(p[3:])) << 16
	authLen := int(p[5])
	p = p[16:]
	if hs.Capabilities&clientSecureConn != 0 {
		n := max(13, authLen-8)
		if len(p) < n {
			return hs, nil
		}
		p = p[n:]
	}
	if hs.Capabilities&clientPluginAuth != 0 {
		if i := bytes.IndexByte(p, 0); i >= 0 {
			p = p[:i]
		}
		if isText(string(p)) {
			hs.AuthPlugin = string(p)
		}
	}
	return hs, nil
}

// ParseError reads the payload of an error packet: 0xff, the error code,
// an optional "#" and SQL state, and the message.
func ParseError(p []byte) (*ServerError, error) {
	if len(p) < 4 || p[0] != 0xff {
		return nil, errNotMySQL
	}
	se := &ServerError{Code: binary.LittleEndian.Uint16(p[1:])}
	p = p[3:]
	if len(p) >= 6 && p[0] == '#' {
		se.SQLState, p = string(p[1:6]), p[6:]
	}
	se.Message = string(p)
	if se.Code < 1000 || len(p) == 0 || !isText(se.Message) || !isText(se.SQLState) {
		return nil, errNotMySQL
	}
	return se, nil
}

var versionRE = regexp.MustCompile(`^([0-9]+\.[0-9]+\.[0-9]+)(.*)$`)

// splitVersion reads a server version string: "8.0.36-0ubuntu0.22.04.1",
// or MariaDB's "5.5.5-10.11.19-MariaDB-0+deb12u1", whose "5.5.5-" prefix
// is there for old replication clients.
func splitVersion(v string) (product, version, extra string) {
	if rest, ok := strings.CutPrefix(v, "5.5.5-"); ok && strings.Contains(rest, "MariaDB") {
		v = rest
	}
	m := versionRE.FindStringSubmatch(v)
	if m == nil {
		return "", "", "version " + v
	}
	version, extra = m[1], m[2]
	product = "MySQL"
	if i := strings.Index(extra, "MariaDB"); i >= 0 {
		product = "MariaDB"
		extra = extra[:i] + extra[i+len("MariaDB"):]
	}
	extra = strings.Trim(strings.ReplaceAll(extra, "--", "-"), "-")
	return product, version, extra
}

func isText(s string) bool {
	for i := 0; i < len(s); i++ {
		if ch := s[i]; ch < 0x20 || ch == 0x7f {
			return false
		}
	}
	return true
}

func joinInfo(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

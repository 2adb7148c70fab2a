// Package vnc recognises VNC servers by the RFB protocol (RFC 6143): the
// server's ProtocolVersion message "RFB 003.008\n", then, after the
// client answers with its own, the security types it offers. RFB names
// no product; only a few servers give themselves away by a version no
// one else uses.
package vnc

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{
		Name:        "vnc",
		Proto:       portspec.TCP,
		Ports:       []uint16{5900, 5901, 5902, 5903},
		ServerFirst: true,
		Rarity:      6,
	}
}

// securityMax bounds the security message: a type list, or a failure
// reason.
const securityMax = 4 << 10

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	v, err := ParseVersion(c.Banner())
	if err != nil {
		return nil, err
	}
	svc := describe(v)
	// Answer with the highest version both sides know, as RFC 6143
	// section 7.1.1 asks, and read the security offer.
	reply := Version{3, 8}
	switch {
	case v.Major == 3 && v.Minor < 7:
		reply = Version{3, 3}
	case v.Major == 3 && v.Minor == 7:
		reply = Version{3, 7}
	}
	b, err := c.Exchange([]byte(reply.String()), securityDone(reply), securityMax)
	if err != nil {
		return svc, nil
	}
	sec, err := ParseSecurity(reply, b)
	if err != nil {
		return svc, nil
	}
	svc.Confidence = 10
	if sec.Reason != "" || len(sec.Types) == 0 {
		svc.ExtraInfo = joinInfo(svc.ExtraInfo, "refusing: "+sec.Reason)
	} else {
		names := make([]string, len(sec.Types))
		for i, t := range sec.Types {
			names[i] = typeName(t)
		}
		svc.ExtraInfo = joinInfo(svc.ExtraInfo, "security types: "+strings.Join(names, ", "))
	}
	return svc, nil
}

// Version is an RFB protocol version.
type Version struct{ Major, Minor int }

// String is the ProtocolVersion message: "RFB 003.008\n".
func (v Version) String() string { return fmt.Sprintf("RFB %03d.%03d\n", v.Major, v.Minor) }

// ParseVersion reads the server's ProtocolVersion message.
func ParseVersion(b []byte) (Version, error) {
	if len(b) < 12 || string(b[:4]) != "RFB " || b[7] != '.' || b[11] != '\n' {
		return Version{}, fingerprint.ErrNoMatch
	}
	major, err1 := digits(b[4:7])
	minor, err2 := digits(b[8:11])
	if err1 != nil || err2 != nil {
		return Version{}, fingerprint.ErrNoMatch
	}
	return Version{major, minor}, nil
}

func digits(b []byte) (int, error) {
	for _, ch := range b {
		if ch < '0' || ch > '9' {
			return 0, errors.New("not a number")
		}
	}
	return strconv.Atoi(string(b))
}

// Parse reads the ProtocolVersion message and says what it tells.
func Parse(banner []byte) (*record.Service, error) {
	v, err := ParseVersion(banner)
	if err != nil {
		return nil, err
	}
	return describe(v), nil
}

// describe names what a version tells: the protocol, and the product for
// versions only one vendor sends.
func describe(v Version) *record.Service {
	svc := &record.Service{Name: "vnc", Confidence: 8,
		ExtraInfo: fmt.Sprintf("protocol %d.%d", v.Major, v.Minor)}
	switch {
	case v.Major == 3 && v.Minor == 889:
		svc.Product = "Apple remote desktop vnc"
	case v.Major == 4 || v.Major == 5:
		// RealVNC's own versions, which announce its RA2 security.
		svc.Product = "RealVNC"
		svc.CPE = []string{fingerprint.CPE("realvnc", "realvnc", "")}
	}
	return svc
}

// Security is the server's answer to the client's version: the security
// types it offers, or why it refuses the connection.
type Security struct {
	Types  []byte
	Reason string
}

// reasonMax bounds a failure reason a server may send.
const reasonMax = 1024

var errShort = errors.New("short security message")

// ParseSecurity reads the security message of a server that accepted
// version v: for 3.7 and later a count and that many types, for 3.3 one
// 32-bit type chosen by the server; a count or type of zero is followed
// by a reason string.
func ParseSecurity(v Version, b []byte) (Security, error) {
	var sec Security
	var rest []byte
	if v.Major == 3 && v.Minor < 7 {
		if len(b) < 4 {
			return sec, errShort
		}
		t := binary.BigEndian.Uint32(b)
		if t > 255 {
			return sec, fingerprint.ErrNoMatch
		}
		if t != 0 {
			return Security{Types: []byte{byte(t)}}, nil
		}
		rest = b[4:]
	} else {
		if len(b) < 1 {
			return sec, errShort
		}
		n := int(b[0])
		if n > 0 {
			if len(b) < 1+n {
				return sec, errShort
			}
			return Security{Types: append([]byte(nil), b[1:1+n]...)}, nil
		}
		rest = b[1:]
	}
	if len(rest) < 4 {
		return sec, errShort
	}
	n := binary.BigEndian.Uint32(rest)
	if n > reasonMax {
		return sec, fingerprint.ErrNoMatch
	}
	if uint32(len(rest)-4) < n {
		return sec, errShort
	}
	sec.Reason = fingerprint.Printable(rest[4:4+n], reasonMax)
	if sec.Reason == "" {
		sec.Reason = "no reason given"
	}
	return sec, nil
}

// securityDone is a ReadUntil test: the security message is whole.
func securityDone(v Version) func([]byte) bool {
	return func(b []byte) bool {
		_, err := ParseSecurity(v, b)
		return !errors.Is(err, errShort)
	}
}

// typeName names a security type (IANA RFB registry).
func typeName(t byte) string {
	switch t {
	case 1:
		return "None"
	case 2:
		return "VNC Authentication"
	case 5:
		return "RA2"
	case 6:
		return "RA2ne"
	case 16:
		return "Tight"
	case 17:
		return "Ultra"
	case 18:
		return "TLS"
	case 19:
		return "VeNCrypt"
	case 20:
		return "SASL"
	case 21:
		return "MD5 hash"
	case 22:
		return "xvp"
	}
	return strconv.Itoa(int(t))
}

func joinInfo(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// Package socks recognises SOCKS proxies. It registers two plugins:
// socks5 (RFC 1928), from the method selection reply to a greeting that
// offers "no authentication" and "username/password", and socks4, from
// the reply to a CONNECT request whose destination is 127.0.0.1 at the
// proxy's own port: the proxy's own address, never another host.
package socks

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() {
	fingerprint.Register(socks5{})
	fingerprint.Register(socks4{})
}

// SOCKS5 authentication methods (RFC 1928 section 3).
const (
	methodNone     = 0x00
	methodGSSAPI   = 0x01
	methodPassword = 0x02
	methodNoneOK   = 0xff
)

// Greeting5 offers "no authentication" and "username/password".
var Greeting5 = []byte{0x05, 0x02, methodNone, methodPassword}

type socks5 struct{}

func (socks5) Info() fingerprint.Info {
	return fingerprint.Info{Name: "socks5", Proto: portspec.TCP, Ports: []uint16{1080}, Rarity: 6}
}

func (socks5) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := c.Exchange(Greeting5, fingerprint.UntilLen(2), 64)
	if len(b) == 0 {
		if err == nil {
			err = fingerprint.ErrNoMatch
		}
		return nil, err
	}
	return ParseMethodReply(b)
}

// ParseMethodReply reads the method selection reply to Greeting5: exactly
// two bytes, version 5 and one of the offered methods (or GSSAPI, which
// every SOCKS5 server must support), or "no acceptable methods".
func ParseMethodReply(b []byte) (*record.Service, error) {
	if len(b) != 2 || b[0] != 0x05 {
		return nil, fingerprint.ErrNoMatch
	}
	var info string
	switch b[1] {
	case methodNone:
		info = "no authentication"
	case methodGSSAPI:
		info = "GSSAPI authentication"
	case methodPassword:
		info = "username/password authentication"
	case methodNoneOK:
		info = "no acceptable authentication method"
	default:
		return nil, fingerprint.ErrNoMatch
	}
	return &record.Service{Name: "socks5", ExtraInfo: info, Confidence: 9}, nil
}

type socks4 struct{}

func (socks4) Info() fingerprint.Info {
	return fingerprint.Info{Name: "socks4", Proto: portspec.TCP, Ports: []uint16{1080}, Rarity: 7}
}

// userID is the SOCKS4 user ID sent.
const userID = "ajar"

func (socks4) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := c.Exchange(Connect4(c.Addr().Port()), fingerprint.UntilLen(8), 64)
	if len(b) == 0 {
		if err == nil {
			err = fingerprint.ErrNoMatch
		}
		return nil, err
	}
	return ParseReply4(b)
}

// Connect4 is a SOCKS4 CONNECT to 127.0.0.1:port: with the proxy's own
// port, the only destination is the proxy itself.
func Connect4(port uint16) []byte {
	b := []byte{0x04, 0x01}
	b = binary.BigEndian.AppendUint16(b, port)
	b = append(b, 127, 0, 0, 1)
	b = append(b, userID...)
	return append(b, 0)
}

// ParseReply4 reads the reply to Connect4: exactly eight bytes, version
// 0 and a status from 0x5a to 0x5d.
func ParseReply4(b []byte) (*record.Service, error) {
	if len(b) != 8 || b[0] != 0x00 {
		return nil, fingerprint.ErrNoMatch
	}
	var info string
	switch b[1] {
	case 0x5a:
		info = "request granted"
	case 0x5b:
		info = "request rejected or failed"
	case 0x5c:
		info = "rejected: no identd on the client"
	case 0x5d:
		info = "rejected: identd user mismatch"
	default:
		return nil, fingerprint.ErrNoMatch
	}
	return &record.Service{Name: "socks4", ExtraInfo: fmt.Sprintf("CONNECT to itself: %s", info), Confidence: 9}, nil
}

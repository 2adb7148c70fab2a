// Package zmtp recognises ZeroMQ peers by the ZeroMQ Message Transport
// Protocol greeting (ZMTP 3.x, rfc.zeromq.org spec 23 and 37): a
// signature of 0xff, eight padding bytes and 0x7f, the version, and a
// security mechanism name padded with zeros. With the NULL mechanism
// the peer goes on with a READY command that names its socket type.
package zmtp

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "zmtp", Proto: portspec.TCP, Ports: []uint16{5555, 5556}, Rarity: 8}
}

const (
	greetingLen = 64
	answerMax   = 1024
)

// Greeting is our ZMTP 3.0 greeting: the NULL mechanism, as client.
func Greeting() []byte {
	b := make([]byte, greetingLen)
	b[0], b[9] = 0xff, 0x7f
	b[10], b[11] = 3, 0
	copy(b[12:], "NULL")
	return b
}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	// A ZeroMQ peer sends its signature at once: it may be the banner.
	banner := c.Banner()
	done := func(got []byte) bool { return answerDone(append(banner[:len(banner):len(banner)], got...)) }
	b, err := c.Exchange(Greeting(), done, answerMax)
	b = append(append([]byte(nil), banner...), b...)
	svc, perr := Parse(b)
	if perr != nil && len(b) == 0 && err != nil {
		return nil, err
	}
	return svc, perr
}

// answerDone is a ReadUntil test: the greeting and, after a NULL
// mechanism, a whole first command; or bytes that are not ZMTP.
func answerDone(b []byte) bool {
	if len(b) > 0 && b[0] != 0xff || len(b) > 9 && b[9] != 0x7f {
		return true
	}
	if len(b) < greetingLen {
		return false
	}
	if !bytes.HasPrefix(b[12:32], []byte("NULL\x00")) {
		return true
	}
	_, _, ok := command(b[greetingLen:])
	return ok || len(b) > greetingLen+9 && b[greetingLen]&0x04 == 0
}

// command reads one command frame: flags (0x04 set, 0x02 for a long
// size), size, the command name (length-prefixed) and its data.
func command(b []byte) (name string, data []byte, ok bool) {
	if len(b) < 2 || b[0]&0x04 == 0 {
		return "", nil, false
	}
	n, h := int(b[1]), 2
	if b[0]&0x02 != 0 {
		if len(b) < 9 {
			return "", nil, false
		}
		n64 := binary.BigEndian.Uint64(b[1:])
		if n64 > answerMax {
			return "", nil, false
		}
		n, h = int(n64), 9
	}
	if len(b) < h+n || n < 1 || int(b[h]) > n-1 {
		return "", nil, false
	}
	body := b[h : h+n]
	return string(body[1 : 1+body[0]]), body[1+body[0]:], true
}

// mechanisms are the security mechanisms ZMTP defines.
var mechanisms = map[string]bool{"NULL": true, "PLAIN": true, "CURVE": true, "GSSAPI": true}

// Parse reads a peer's greeting, and the READY command that follows it
// when present.
func Parse(b []byte) (*record.Service, error) {
	if len(b) < greetingLen || b[0] != 0xff || b[9] != 0x7f || b[10] < 3 || b[10] > 9 || b[32] > 1 {
		return nil, fingerprint.ErrNoMatch
	}
	mech, pad, _ := bytes.Cut(b[12:32], []byte{0})
	if !mechanisms[string(mech)] || len(bytes.Trim(pad, "\x00")) != 0 {
		return nil, fingerprint.ErrNoMatch
	}
	extra := fmt.Sprintf("ZMTP %d.%d; %s security", b[10], b[11], mech)
	name, data, ok := command(b[greetingLen:])
	if ok && name == "READY" {
		if t := property(data, "Socket-Type"); t != "" {
			extra += "; socket " + fingerprint.Printable([]byte(t), 20)
		}
	} else if bytes.Equal(b[:greetingLen], Greeting()) {
		// Our own greeting, byte for byte, and no READY: an echo.
		return nil, fingerprint.ErrNoMatch
	}
	return &record.Service{Name: "zmtp", Product: "ZeroMQ", ExtraInfo: extra, Confidence: 10}, nil
}

// property finds a READY property: a name (one length byte) and a value
// (four length bytes).
func property(b []byte, want string) string {
	for len(b) > 0 {
		n := int(b[0])
		if len(b) < 1+n+4 {
			return ""
		}
		name := string(b[1 : 1+n])
		m := binary.BigEndian.Uint32(b[1+n:])
		b = b[1+n+4:]
		if uint64(m) > uint64(len(b)) {
			return ""
		}
		if name == want {
			return string(b[:m])
		}
		b = b[m:]
	}
	return ""
}

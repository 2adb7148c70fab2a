// Package pptp recognises PPTP servers (RFC 2637) by a
// Start-Control-Connection-Request: the server answers with a
// Start-Control-Connection-Reply of the same fixed length and magic
// cookie, with a result code and its host and vendor names ("linux" from
// pptpd).
package pptp

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/internal/banner"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	// pptpd's main process reads each new connection's first message
	// before it hands the connection on, one connection at a time: a
	// silent connection of another probe of the wave holds our SCCRQ
	// until that probe gives up and closes (measured on Debian's pptpd
	// 1.4: answered 10 ms after the close), the moment ours would.
	return fingerprint.Info{Name: "pptp", Proto: portspec.TCP, Ports: []uint16{1723}, Rarity: 7,
		Linger: 500 * time.Millisecond}
}

const (
	msgLen = 156
	magic  = 0x1a2b3c4d
	sccrq  = 1
	sccrp  = 2
)

// Request is the SCCRQ (RFC 2637 2.1): length 156, control message,
// the magic cookie, protocol 1.0, synchronous framing and digital bearer
// capabilities, host and vendor "ajar".
func Request() []byte {
	b := binary.BigEndian.AppendUint16(nil, msgLen)
	b = binary.BigEndian.AppendUint16(b, 1)
	b = binary.BigEndian.AppendUint32(b, magic)
	b = binary.BigEndian.AppendUint16(b, sccrq)
	b = append(b, 0, 0, 1, 0, 0, 0)
	b = binary.BigEndian.AppendUint32(b, 1)
	b = binary.BigEndian.AppendUint32(b, 1)
	b = append(b, 0, 0, 0, 0)
	name := make([]byte, 64)
	copy(name, "ajar")
	return append(append(b, name...), name...)
}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := c.Exchange(Request(), fingerprint.UntilLen(msgLen), msgLen)
	if err != nil && len(b) < msgLen {
		if len(b) == 0 {
			return nil, err
		}
		return nil, fingerprint.ErrNoMatch
	}
	return Parse(b)
}

// Parse reads the SCCRP.
func Parse(b []byte) (*record.Service, error) {
	if len(b) < msgLen || binary.BigEndian.Uint16(b) != msgLen || binary.BigEndian.Uint16(b[2:]) != 1 ||
		binary.BigEndian.Uint32(b[4:]) != magic || binary.BigEndian.Uint16(b[8:]) != sccrp {
		return nil, fingerprint.ErrNoMatch
	}
	host, vendor := cstring(b[28:92]), cstring(b[92:156])
	if !banner.IsText(host) || !banner.IsText(vendor) {
		return nil, fingerprint.ErrNoMatch
	}
	info := []string{fmt.Sprintf("result %d", b[14]), fmt.Sprintf("firmware %d", binary.BigEndian.Uint16(b[26:]))}
	if host != "" {
		info = append(info, "host "+host)
	}
	if vendor != "" {
		info = append(info, "vendor "+vendor)
	}
	return &record.Service{Name: "pptp", ExtraInfo: strings.Join(info, "; "), Confidence: 10}, nil
}

func cstring(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// Package daytime recognises Daytime servers (RFC 867): on connection the
// server sends the date and time as one line of text and closes. The
// RFC fixes no format; the ones servers use (ctime, RFC 822 and 1123,
// ISO 8601, NIST's) are accepted, and nothing else may follow.
package daytime

import (
	"bytes"
	"context"
	"strings"
	"time"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "daytime", Proto: portspec.TCP, Ports: []uint16{13}, ServerFirst: true, Rarity: 8}
}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	return Parse(c.Banner())
}

// layouts are the date formats daytime servers send.
var layouts = []string{
	"Mon Jan _2 15:04:05 2006", // ctime: inetd's internal daytime
	"Monday, January _2, 2006 15:04:05-MST",
	time.RFC1123, time.RFC1123Z, time.RFC822, time.RFC822Z, time.RFC850,
	time.RFC3339, "2006-01-02 15:04:05", "02 JAN 2006 15:04:05 MST",
	"Mon Jan _2 15:04:05 MST 2006", // date(1)
}

// Parse reads a whole answer: one line holding a date and time.
func Parse(b []byte) (*record.Service, error) {
	line, rest, ok := bytes.Cut(b, []byte("\n"))
	if !ok || len(bytes.TrimSpace(rest)) > 0 || len(line) > 80 {
		return nil, fingerprint.ErrNoMatch
	}
	s := strings.TrimSpace(string(bytes.TrimSuffix(line, []byte("\r"))))
	for _, l := range layouts {
		if _, err := time.Parse(l, s); err == nil {
			return &record.Service{Name: "daytime", Confidence: 9}, nil
		}
	}
	if nist(s) {
		return &record.Service{Name: "daytime", Product: "NIST daytime", Confidence: 9}, nil
	}
	return nil, fingerprint.ErrNoMatch
}

// nist reports NIST's format: "60140 23-08-14 17:24:08 50 0 0 450.5 UTC(NIST) *".
func nist(s string) bool {
	f := strings.Fields(s)
	if len(f) < 8 || f[7] != "UTC(NIST)" {
		return false
	}
	_, err := time.Parse("06-01-02 15:04:05", f[1]+" "+f[2])
	return err == nil
}

// UDP (RFC 867): any datagram draws one datagram holding the date.
func init() {
	fingerprint.RegisterUDP(fingerprint.UDPProbe{Name: "daytime", Ports: []uint16{13}, Datagrams: [][]byte{[]byte("\r\n")},
		Rarity: 8, AnyDatagram: func(_, reply []byte) (*record.Service, error) { return Parse(reply) }}, Parse)
}

// Package ident recognises Identification Protocol servers (RFC 1413):
// the client asks who owns a connection between two ports, and the
// server answers "<port> , <port> : USERID : <os> : <user>" or
// "<port> , <port> : ERROR : <error>". ajar asks about a connection that
// cannot exist (port 1 to port 1): the answer is an ERROR that names no
// user.
package ident

import (
	"bytes"
	"context"
	"regexp"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "ident", Proto: portspec.TCP, Ports: []uint16{113}, Rarity: 8}
}

// query asks about the connection from port 1 to port 1.
const query = "1, 1\r\n"

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := c.Exchange([]byte(query), fingerprint.UntilLine, 1024)
	if err != nil && !fingerprint.UntilLine(b) {
		if len(b) == 0 {
			return nil, err
		}
		return nil, fingerprint.ErrNoMatch
	}
	return Parse(b)
}

// reply is RFC 1413's reply to a query about ports 1 and 1, spaces
// allowed around every separator.
var reply = regexp.MustCompile(`^\s*1\s*,\s*1\s*:\s*(ERROR|USERID)\s*:\s*([^\r\n]*?)\s*$`)

// Parse reads the answer to the query "1, 1".
func Parse(b []byte) (*record.Service, error) {
	line, _, ok := bytes.Cut(b, []byte("\n"))
	if !ok {
		return nil, fingerprint.ErrNoMatch
	}
	m := reply.FindStringSubmatch(strings.TrimSuffix(string(line), "\r"))
	if m == nil {
		return nil, fingerprint.ErrNoMatch
	}
	svc := &record.Service{Name: "ident", Confidence: 10}
	if m[1] == "ERROR" {
		svc.ExtraInfo = "error: " + strings.TrimSpace(m[2])
		if len(svc.ExtraInfo) > 80 {
			svc.ExtraInfo = svc.ExtraInfo[:80]
		}
	} else {
		// An answer for a connection that does not exist: the server
		// lies (oidentd -R, a fake identd), which is worth saying.
		svc.ExtraInfo = "answers USERID for any connection"
	}
	return svc, nil
}

// Package dns recognises DNS servers, over UDP and over TCP (RFC 1035,
// RFC 7766), by asking for the CHAOS-class TXT record version.bind (and
// version.server when that says nothing). Any well-formed response that
// carries the query's random ID proves DNS; the version string, when the
// server gives one, names the product ("dnsmasq-2.90", "9.18.28-1~deb12u2-Debian").
package dns

import (
	"context"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() {
	fingerprint.Register(plugin{proto: portspec.UDP})
	fingerprint.Register(plugin{proto: portspec.TCP})
}

// plugin speaks DNS over one transport; the package registers one for
// each.
type plugin struct{ proto portspec.Proto }

func (p plugin) Info() fingerprint.Info {
	rarity := 4
	if p.proto == portspec.TCP {
		// A DNS server on TCP waits silently for a whole length-prefixed
		// query; elsewhere DNS over TCP is rare.
		rarity = 6
	}
	in := fingerprint.Info{Name: "dns", Proto: p.proto, Ports: []uint16{53}, Rarity: rarity}
	if p.proto == portspec.TCP {
		// Knot reads each TCP message whole, up to half a second a
		// connection whose first bytes look like a long one: a wave of
		// other protocols' probes holds it up until they close.
		in.Linger = 500 * time.Millisecond
	}
	return in
}

// The names asked for, in order.
var versionNames = []string{"version.bind", "version.server"}

// maxUDPTries bounds the datagrams read while waiting for the answer
// with our ID.
const maxUDPTries = 8

func (p plugin) Identify(ctx context.Context, c *fingerprint.Conn) (*record.Service, error) {
	var first *record.Service
	for _, name := range versionNames {
		if ctx.Err() != nil {
			break
		}
		id := uint16(rand.Uint32())
		svc, err := p.ask(c, id, name)
		if err != nil {
			if first != nil {
				// The server spoke DNS already; a second question it
				// does not answer changes nothing.
				return first, nil
			}
			return nil, err
		}
		if svc.Product != "" || svc.Version != "" {
			return svc, nil
		}
		if first == nil {
			first = svc
		}
	}
	if first == nil {
		return nil, fingerprint.ErrNoMatch
	}
	return first, nil
}

// ask sends one CHAOS TXT query and parses the response with its ID.
func (p plugin) ask(c *fingerprint.Conn, id uint16, name string) (*record.Service, error) {
	q, err := Query(id, name)
	if err != nil {
		return nil, err
	}
	if p.proto == portspec.TCP {
		framed := binary.BigEndian.AppendUint16(nil, uint16(len(q)))
		b, err := c.Exchange(append(framed, q...), tcpComplete(id), 2+maxMessage)
		if len(b) < 2 {
			if err == nil {
				err = fingerprint.ErrNoMatch
			}
			return nil, err
		}
		n := int(binary.BigEndian.Uint16(b))
		if len(b) < 2+n {
			return nil, fingerprint.ErrNoMatch
		}
		return ParseResponse(b[2:2+n], id)
	}
	if err := c.Write(q); err != nil {
		return nil, err
	}
	buf := make([]byte, maxMessage)
	for range maxUDPTries {
		n, err := c.Read(buf)
		if err != nil {
			return nil, err
		}
		svc, perr := ParseResponse(buf[:n], id)
		if perr == nil {
			return svc, nil
		}
		if !errors.Is(perr, errWrongID) {
			return nil, perr
		}
	}
	return nil, fingerprint.ErrNoMatch
}

// tcpComplete is a ReadUntil test for a length-prefixed DNS message: it
// is whole, or its first bytes already show it is not our answer.
func tcpComplete(id uint16) func([]byte) bool {
	return func(b []byte) bool {
		if len(b) >= 4 && binary.BigEndian.Uint16(b[2:]) != id {
			return true
		}
		return len(b) >= 2 && len(b) >= 2+int(binary.BigEndian.Uint16(b))
	}
}

// Package ntp recognises NTP servers (RFC 5905) by a mode 3 client
// request, whose mode 4 answer must echo our transmit timestamp, and asks
// at the same time for the system variables over mode 6 control messages
// (RFC 1305 appendix B, RFC 9327), which the reference ntpd answers with
// its "version=" string. chrony does not answer mode 6 by default: then
// the product stays unknown.
package ntp

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

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "ntp", Proto: portspec.UDP, Ports: []uint16{123}, Rarity: 4}
}

// maxDatagrams bounds the datagrams read in one identification.
const maxDatagrams = 24

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	origin := rand.Uint64() | 1 // never zero: a zero origin means "none"
	seq := uint16(rand.Uint32())
	if err := c.Write(ClientRequest(origin)); err != nil {
		return nil, err
	}
	if err := c.Write(ReadVarsRequest(seq)); err != nil {
		return nil, err
	}
	var (
		svc  *record.Service
		vars fragments
		err  error
	)
	buf := make([]byte, 2048)
	for range maxDatagrams {
		var n int
		if n, err = c.Read(buf); err != nil {
			break
		}
		d := buf[:n]
		if s, perr := ParseReply(d, origin); perr == nil {
			svc = s
		} else if f, perr := ParseControl(d, seq); perr == nil {
			vars.add(f)
		}
		if svc != nil && vars.complete() {
			break
		}
		if svc != nil && !vars.received() {
			// The client reply is in; a server that answers control
			// queries does so as fast, so do not wait the probe out.
			c.Shorten(250 * time.Millisecond)
		}
	}
	if svc == nil {
		if vars.received() {
			// A server that answers control queries but not clients
			// is still NTP.
			svc = &record.Service{Name: "ntp", Confidence: 9}
		} else {
			if err == nil || errors.Is(err, fingerprint.ErrBudget) {
				err = fingerprint.ErrNoMatch
			}
			return nil, err
		}
	}
	if vars.received() {
		addVariables(svc, ParseVariables(vars.data()))
	}
	return svc, nil
}

// ClientRequest is a mode 3 (client) NTPv4 packet whose transmit
// timestamp is origin; the server's answer carries it back as its origin
// timestamp.
func ClientRequest(origin uint64) []byte {
	b := make([]byte, packetLen)
	b[0] = 4<<3 | modeClient
	binary.BigEndian.PutUint64(b[40:], origin)
	return b
}

// ReadVarsRequest is a mode 6 READVAR request for the system variables
// (association 0).
func ReadVarsRequest(seq uint16) []byte {
	b := make([]byte, controlHeaderLen)
	b[0] = 2<<3 | modeControl
	b[1] = opReadVar
	binary.BigEndian.PutUint16(b[2:], seq)
	return b
}

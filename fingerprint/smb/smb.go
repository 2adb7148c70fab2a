// Package smb recognises SMB file servers over direct TCP (445) and over
// the NetBIOS session service (139, after a session request). It sends
// the SMB1 NEGOTIATE that offers both "NT LM 0.12" and the SMB2 dialect
// names: an SMB2 server answers in SMB2, and the plugin then negotiates
// SMB2 proper (2.0.2 to 3.1.1) for the dialect, server GUID,
// capabilities and signing; an SMB1-only server answers in SMB1. Then it
// starts an anonymous NTLMSSP session setup and reads the CHALLENGE's
// target information: the server's NetBIOS and DNS names and domain, and
// the OS version it claims. Samba claims "6.1 build 0"; over SMB1 it
// names itself in the native LAN manager string ("Samba 4.17.12-Debian").
package smb

import (
	"context"
	"crypto/rand"
	"errors"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "smb", Proto: portspec.TCP, Ports: []uint16{445, 139}, Rarity: 7}
}

// netbiosPort is where SMB runs over the NetBIOS session service.
const netbiosPort = 139

// Result is everything the exchanges learned about the server.
type Result struct {
	// NetBIOSRefused says the NetBIOS session request was refused: the
	// peer is a NetBIOS session service, but no SMB was spoken.
	NetBIOSRefused bool
	SMB2           *Negotiate2
	SMB1           *Negotiate1
	Setup1         *SessionSetup1
	Challenge      *Challenge
}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	return identify(c, c.Addr().Port() == netbiosPort)
}

// identify runs the exchanges, after a NetBIOS session request when
// netbios.
func identify(c *fingerprint.Conn, netbios bool) (*record.Service, error) {
	r := &Result{}
	if netbios {
		ok, err := netbiosSession(c)
		if err != nil {
			return nil, err
		}
		if !ok {
			r.NetBIOSRefused = true
			return Describe(r), nil
		}
	}
	msg, err := exchange(c, negotiate1())
	if err != nil {
		return nil, err
	}
	if n2, err := ParseNegotiate2(msg); err == nil {
		r.SMB2 = n2
		// Best effort from here: the server already proved SMB2.
		negotiateSMB2(c, r)
		return Describe(r), nil
	}
	n1, err := ParseNegotiate1(msg)
	if err != nil {
		return nil, err
	}
	r.SMB1 = n1
	if n1.ExtendedSec {
		if msg, err := exchange(c, sessionSetup1(spnegoInit(ntlmNegotiateMessage()))); err == nil {
			if s, err := ParseSessionSetup1(msg); err == nil {
				r.Setup1 = s
				r.Challenge, _ = findChallenge(s.SecurityBlob)
			}
		}
	}
	return Describe(r), nil
}

// negotiateSMB2 completes an SMB2 negotiation that answered the SMB1
// NEGOTIATE with the wildcard dialect, then asks for an NTLM challenge.
func negotiateSMB2(c *fingerprint.Conn, r *Result) {
	next := uint64(1)
	if r.SMB2.Dialect == dialectWildcard {
		var guid [16]byte
		var salt [32]byte
		rand.Read(guid[:])
		rand.Read(salt[:])
		msg, err := exchange(c, negotiate2(next, guid, salt))
		if err != nil {
			return
		}
		n2, err := ParseNegotiate2(msg)
		if err != nil {
			return
		}
		r.SMB2 = n2
		next++
	}
	msg, err := exchange(c, sessionSetup2(next, spnegoInit(ntlmNegotiateMessage())))
	if err != nil {
		return
	}
	if blob, err := parseSessionSetup2(msg); err == nil {
		r.Challenge, _ = findChallenge(blob)
	}
}

// exchange sends one SMB message and reads the one NetBIOS session
// message that answers it, skipping keep-alives.
func exchange(c *fingerprint.Conn, msg []byte) ([]byte, error) {
	b, err := c.Exchange(frame(msg), frameComplete, maxFrame+nbHeaderLen)
	for range 4 {
		typ, payload, ok := unframe(b)
		if !ok {
			if err == nil || errors.Is(err, fingerprint.ErrBudget) {
				err = fingerprint.ErrNoMatch
			}
			return nil, err
		}
		if typ == nbSessionMessage {
			return payload, nil
		}
		if typ != nbKeepAlive {
			return nil, fingerprint.ErrNoMatch
		}
		b, err = c.ReadUntil(frameComplete, maxFrame+nbHeaderLen)
	}
	return nil, fingerprint.ErrNoMatch
}

// netbiosSession asks for a NetBIOS session; ok is false when the server
// refused it with a negative response.
func netbiosSession(c *fingerprint.Conn) (ok bool, err error) {
	b, err := c.Exchange(sessionRequest(), frameComplete, 128)
	typ, payload, whole := unframe(b)
	if !whole {
		if err == nil {
			err = fingerprint.ErrNoMatch
		}
		return false, err
	}
	switch {
	case typ == nbPositive && len(payload) == 0:
		return true, nil
	case typ == nbNegative && len(payload) == 1:
		return false, nil
	}
	return false, fingerprint.ErrNoMatch
}

// Parse reads an answer to the first SMB1 NEGOTIATE (without the NetBIOS
// header), in SMB2 or SMB1, and describes the server, for tests.
func Parse(msg []byte) (*record.Service, error) {
	r := &Result{}
	if n2, err := ParseNegotiate2(msg); err == nil {
		r.SMB2 = n2
	} else if n1, err := ParseNegotiate1(msg); err == nil {
		r.SMB1 = n1
	} else {
		return nil, err
	}
	return Describe(r), nil
}

// Package firebird recognises Firebird (and InterBase) database servers
// by op_connect, the first packet of their wire protocol (XDR, remote/
// protocol.h in Firebird's sources): offered protocols 10 to 17 and the
// Srp authentication plugin, the server answers op_accept, op_accept_data
// or op_cond_accept with the protocol it chose, the architecture and the
// packet type, and with its authentication plugin; anything else is no
// match.
package firebird

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/internal/banner"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "firebird", Proto: portspec.TCP, Ports: []uint16{3050}, Rarity: 8}
}

// Operations of the wire protocol.
const (
	opConnect    = 1
	opAccept     = 3
	opAttach     = 19
	opAcceptData = 94
	opCondAccept = 98

	connectVersion3 = 3
	archGeneric     = 1
	ptypeRPC        = 2
	ptypeLazySend   = 5
	// flagFirebird marks the protocols of Firebird, not InterBase.
	flagFirebird = 0x8000
	answerMax    = 1024
)

// protocols are the protocol versions offered: InterBase's 10, and
// Firebird's 11 (2.1) to 17 (4.0).
var protocols = []uint32{10, flagFirebird | 11, flagFirebird | 12, flagFirebird | 13, flagFirebird | 14,
	flagFirebird | 15, flagFirebird | 16, flagFirebird | 17}

// Tags of the user identification.
const (
	cnctUser         = 1
	cnctHost         = 4
	cnctVerification = 6
	cnctPluginName   = 8
	cnctLogin        = 9
	cnctPluginList   = 10
)

func appendXDR(b, s []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	b = append(b, s...)
	return append(b, make([]byte, (4-len(s)%4)%4)...)
}

// Connect is op_connect for op_attach to database "ajar", user "ajar".
func Connect() []byte {
	var uid []byte
	for _, t := range []struct {
		tag byte
		val string
	}{{cnctUser, "ajar"}, {cnctHost, "ajar"}, {cnctVerification, ""}, {cnctLogin, "ajar"},
		{cnctPluginName, "Srp"}, {cnctPluginList, "Srp, Legacy_Auth"}} {
		uid = append(append(uid, t.tag, byte(len(t.val))), t.val...)
	}
	var b []byte
	for _, v := range []uint32{opConnect, opAttach, connectVersion3, archGeneric} {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	b = appendXDR(b, []byte("ajar"))
	b = binary.BigEndian.AppendUint32(b, uint32(len(protocols)))
	b = appendXDR(b, uid)
	for i, p := range protocols {
		for _, v := range []uint32{p, archGeneric, ptypeRPC, ptypeLazySend, uint32(2 * (i + 1))} {
			b = binary.BigEndian.AppendUint32(b, v)
		}
	}
	return b
}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := c.Exchange(Connect(), answerDone, answerMax)
	svc, perr := Parse(b)
	if perr != nil && len(b) == 0 && err != nil {
		return nil, err
	}
	return svc, perr
}

// answerDone is a ReadUntil test: a whole accept, or any other opcode.
func answerDone(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	_, _, err := parse(b)
	return err == nil || (binary.BigEndian.Uint32(b) != opAccept && binary.BigEndian.Uint32(b) != opAcceptData &&
		binary.BigEndian.Uint32(b) != opCondAccept)
}

// readXDR reads an XDR opaque or string: length, bytes, padding.
func readXDR(b []byte) ([]byte, []byte, bool) {
	if len(b) < 4 {
		return nil, nil, false
	}
	n := binary.BigEndian.Uint32(b)
	padded := uint64(n) + uint64((4-n%4)%4)
	if padded > uint64(len(b)-4) {
		return nil, nil, false
	}
	return b[4 : 4+n], b[4+padded:], true
}

// Parse reads the answer to Connect.
func Parse(b []byte) (*record.Service, error) {
	svc, rest, err := parse(b)
	if err != nil || len(rest) != 0 {
		return nil, fingerprint.ErrNoMatch
	}
	return svc, nil
}

func parse(b []byte) (*record.Service, []byte, error) {
	if len(b) < 16 {
		return nil, nil, fingerprint.ErrNoMatch
	}
	op := binary.BigEndian.Uint32(b)
	// The version travels as a sign-extended 16-bit number.
	version := binary.BigEndian.Uint32(b[4:]) & 0xffff
	arch, ptype := binary.BigEndian.Uint32(b[8:]), binary.BigEndian.Uint32(b[12:])&0xff
	if !slices.Contains(protocols, version) || arch > 100 || ptype < ptypeRPC || ptype > ptypeLazySend {
		return nil, nil, fingerprint.ErrNoMatch
	}
	rest := b[16:]
	svc := &record.Service{Name: "firebird", Product: "Firebird", Confidence: 10,
		ExtraInfo: fmt.Sprintf("wire protocol %d", version&^flagFirebird)}
	if version&flagFirebird == 0 {
		svc.Product = "" // InterBase 6 and Firebird alike
	} else {
		svc.CPE = []string{fingerprint.CPE("firebirdsql", "firebird", "")}
	}
	switch op {
	case opAccept:
		return svc, rest, nil
	case opAcceptData, opCondAccept:
	default:
		return nil, nil, fingerprint.ErrNoMatch
	}
	// Authentication data, plugin name, authenticated, keys.
	var name []byte
	var ok bool
	if _, rest, ok = readXDR(rest); !ok {
		return nil, nil, fingerprint.ErrNoMatch
	}
	if name, rest, ok = readXDR(rest); !ok || len(rest) < 4 || len(name) > 64 || !banner.IsText(name) {
		return nil, nil, fingerprint.ErrNoMatch
	}
	if auth := binary.BigEndian.Uint32(rest); auth > 1 {
		return nil, nil, fingerprint.ErrNoMatch
	}
	if _, rest, ok = readXDR(rest[4:]); !ok {
		return nil, nil, fingerprint.ErrNoMatch
	}
	if len(name) > 0 {
		svc.ExtraInfo += "; auth " + string(name)
	}
	return svc, rest, nil
}

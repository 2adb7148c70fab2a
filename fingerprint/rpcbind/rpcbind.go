// Package rpcbind recognises the ONC RPC portmapper (RFC 1833, RFC 5531)
// over TCP (with record marking) and UDP: it calls PMAPPROC_DUMP
// (program 100000, version 2, procedure 4) and lists the registered
// programs. rpcbind registers versions 3 and 4 of the portmapper next to
// version 2, the old portmap only version 2: that names the product.
package rpcbind

import (
	"context"
	"encoding/binary"
	"errors"
	"math/rand/v2"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() {
	fingerprint.Register(plugin{proto: portspec.TCP})
	fingerprint.Register(plugin{proto: portspec.UDP})
}

// plugin speaks to the portmapper over one transport; the package
// registers one for each.
type plugin struct{ proto portspec.Proto }

func (p plugin) Info() fingerprint.Info {
	rarity := 5
	if p.proto == portspec.TCP {
		// The server waits silently for a whole record.
		rarity = 7
	}
	return fingerprint.Info{Name: "rpcbind", Proto: p.proto, Ports: []uint16{111}, Rarity: rarity}
}

// maxReply bounds a DUMP answer: a few hundred registrations.
const maxReply = 32 << 10

// maxDatagrams bounds the datagrams read while waiting for our XID.
const maxDatagrams = 8

func (p plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	xid := rand.Uint32()
	call := DumpCall(xid)
	if p.proto == portspec.TCP {
		b, err := c.Exchange(RecordMark(call), recordComplete, maxReply)
		if err != nil && !errors.Is(err, fingerprint.ErrBudget) && len(b) == 0 {
			return nil, err
		}
		msg, ok := Unmark(b)
		if !ok {
			return nil, fingerprint.ErrNoMatch
		}
		return ParseDump(msg, xid)
	}
	if err := c.Write(call); err != nil {
		return nil, err
	}
	buf := make([]byte, 9000)
	for range maxDatagrams {
		n, err := c.Read(buf)
		if err != nil {
			return nil, err
		}
		svc, perr := ParseDump(buf[:n], xid)
		if !errors.Is(perr, errWrongXID) {
			return svc, perr
		}
	}
	return nil, fingerprint.ErrNoMatch
}

// RecordMark frames one RPC message as a single last fragment (RFC 5531
// section 11).
func RecordMark(msg []byte) []byte {
	out := binary.BigEndian.AppendUint32(nil, 0x80000000|uint32(len(msg)))
	return append(out, msg...)
}

// maxFragments bounds the fragments of one record.
const maxFragments = 64

// Unmark joins the fragments of one record; ok is false until the last
// fragment is whole.
func Unmark(b []byte) (msg []byte, ok bool) {
	for range maxFragments {
		if len(b) < 4 {
			return nil, false
		}
		h := binary.BigEndian.Uint32(b)
		n := int(h & 0x7fffffff)
		if n > maxReply || 4+n > len(b) {
			return nil, false
		}
		msg = append(msg, b[4:4+n]...)
		b = b[4+n:]
		if h&0x80000000 != 0 {
			return msg, true
		}
	}
	return nil, false
}

// recordComplete is a ReadUntil test: the record is whole, or its first
// fragment header is one no portmapper sends.
func recordComplete(b []byte) bool {
	if len(b) >= 4 && binary.BigEndian.Uint32(b)&0x7fffffff > maxReply {
		return true
	}
	_, ok := Unmark(b)
	return ok
}

package netsvc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/fingerprint/rpcbind"
)

// ONC RPC (RFC 5531) over TCP, as far as the NFS exports check needs it:
// one call at a time, record marked, with AUTH_NONE or AUTH_SYS
// credentials.

// RPC authentication flavors (RFC 5531 section 8.2).
const (
	authNone = 0
	authSys  = 1
)

// rpcAuthError is the reject_stat of a call refused for its credentials.
const rpcAuthError = 1

// errRPCAuth is a call refused for its credentials (MSG_DENIED,
// AUTH_ERROR): another flavor may pass.
var errRPCAuth = errors.New("RPC call refused: authentication error")

// rpcCall is an ONC RPC call message (RFC 5531 section 9) of procedure
// proc of program prog, version vers, with args already in XDR. With sys
// set the credentials are AUTH_SYS of user and group nobody (65534) on a
// machine named "ajar", which claims no one's identity; otherwise
// AUTH_NONE. The verifier is AUTH_NONE.
func rpcCall(xid, prog, vers, proc uint32, sys bool, args []byte) []byte {
	b := make([]byte, 0, 64+len(args))
	for _, v := range []uint32{xid, 0, 2, prog, vers, proc} {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	if sys {
		// stamp, machinename<255> ("ajar"), uid, gid, gids<16> (none).
		body := binary.BigEndian.AppendUint32(nil, 0)
		body = binary.BigEndian.AppendUint32(body, 4)
		body = append(body, "ajar"...)
		for _, v := range []uint32{65534, 65534, 0} {
			body = binary.BigEndian.AppendUint32(body, v)
		}
		b = binary.BigEndian.AppendUint32(b, authSys)
		b = binary.BigEndian.AppendUint32(b, uint32(len(body)))
		b = append(b, body...)
	} else {
		b = binary.BigEndian.AppendUint32(b, authNone)
		b = binary.BigEndian.AppendUint32(b, 0)
	}
	b = binary.BigEndian.AppendUint32(b, authNone)
	b = binary.BigEndian.AppendUint32(b, 0)
	return append(b, args...)
}

// xdrReader reads XDR (RFC 4506) from a reply; once short, every read
// returns zero values and bad is set.
type xdrReader struct {
	b   []byte
	bad bool
}

// take consumes n bytes.
func (r *xdrReader) take(n uint64) []byte {
	if r.bad || n > uint64(len(r.b)) {
		r.bad = true
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *xdrReader) u32() uint32 {
	if b := r.take(4); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

// more reads the discriminant of an optional-data (a list's next
// pointer): true for one more item; anything but 0 or 1 is bad.
func (r *xdrReader) more() bool {
	switch r.u32() {
	case 0:
		return false
	case 1:
		return !r.bad
	}
	r.bad = true
	return false
}

// opaque reads variable-length opaque data or a string of at most max
// bytes, and its padding.
func (r *xdrReader) opaque(max uint32) []byte {
	n := r.u32()
	if n > max {
		r.bad = true
		return nil
	}
	v := r.take(uint64(n))
	r.take(uint64(-n & 3))
	return v
}

// rpcResult reads the reply to call xid (without record marking) and
// returns its results, still in XDR. A reply refused for its credentials
// is errRPCAuth; any other refusal, or an accepted call that did not
// succeed (PROG_UNAVAIL, PROC_UNAVAIL, …), is an error that says which.
func rpcResult(msg []byte, xid uint32) ([]byte, error) {
	r := &xdrReader{b: msg}
	if r.u32() != xid || r.u32() != 1 || r.bad {
		return nil, fmt.Errorf("not an RPC reply to call %#x", xid)
	}
	switch st := r.u32(); st {
	case 0: // MSG_ACCEPTED
	case 1: // MSG_DENIED
		if r.u32() == rpcAuthError {
			return nil, errRPCAuth
		}
		return nil, errors.New("RPC call refused: RPC version mismatch")
	default:
		return nil, fmt.Errorf("RPC reply status %d", st)
	}
	r.u32()       // verifier flavor
	r.opaque(400) // verifier body
	st := r.u32() // accept_stat
	if r.bad {
		return nil, errors.New("RPC reply cut short")
	}
	if st != 0 {
		return nil, fmt.Errorf("RPC call not run: accept_stat %d (%s)", st, acceptStat(st))
	}
	return r.b, nil
}

func acceptStat(st uint32) string {
	names := []string{"success", "program unavailable", "program version mismatch", "procedure unavailable",
		"garbage arguments", "system error"}
	if int(st) < len(names) {
		return names[st]
	}
	return "unknown"
}

// rpcRecordWhole is a ReadUntil test: one whole record has come.
func rpcRecordWhole(b []byte) bool {
	_, ok := rpcbind.Unmark(b)
	return ok
}

// rpcExchange makes one call over a TCP connection and returns its
// results: with AUTH_NONE, then once more with AUTH_SYS when the server
// refuses AUTH_NONE (showmount's flavor; some servers want it).
func rpcExchange(c net.Conn, prog, vers, proc uint32, args []byte, max int) ([]byte, error) {
	res, err := rpcOnce(c, prog, vers, proc, false, args, max)
	if errors.Is(err, errRPCAuth) {
		res, err = rpcOnce(c, prog, vers, proc, true, args, max)
	}
	return res, err
}

func rpcOnce(c net.Conn, prog, vers, proc uint32, sys bool, args []byte, max int) ([]byte, error) {
	xid := rand.Uint32()
	b, err := audit.Exchange(c, rpcbind.RecordMark(rpcCall(xid, prog, vers, proc, sys, args)), rpcRecordWhole, max)
	if err != nil {
		return nil, err
	}
	msg, _ := rpcbind.Unmark(b)
	return rpcResult(msg, xid)
}

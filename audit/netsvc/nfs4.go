package netsvc

import (
	"context"
	"encoding/binary"
	"errors"
	"net/netip"
	"strings"

	"github.com/ajarsec/ajar/audit"
)

// NFSv4 (RFC 7530), as far as the NFS exports check needs it: whether
// the server gives the scanner a file handle for an export, with one
// COMPOUND of PUTROOTFH, a LOOKUP for each component of the export's
// path, and GETFH. These operations need no client ID and make no state
// on the server: nothing is opened, mounted or written.

// NFSv4 operations (RFC 7530 section 16).
const (
	opGetFH      = 10
	opLookup     = 15
	opPutRootFH  = 24
	procCompound = 1
)

// maxServedAsked bounds the exports asked about over NFSv4.
const maxServedAsked = 8

// LookupCompound is the arguments of a COMPOUND (minor version 0, empty
// tag) that looks dir up from the root and asks for its file handle.
// ok is false for a path of more components than fit a compound here
// (32), or a component longer than a name may be (255).
func LookupCompound(dir string) (args []byte, ok bool) {
	comps := strings.FieldsFunc(dir, func(r rune) bool { return r == '/' })
	if len(comps) > 32 {
		return nil, false
	}
	b := binary.BigEndian.AppendUint32(nil, 0) // tag<>
	b = binary.BigEndian.AppendUint32(b, 0)    // minorversion
	b = binary.BigEndian.AppendUint32(b, uint32(len(comps)+2))
	b = binary.BigEndian.AppendUint32(b, opPutRootFH)
	for _, c := range comps {
		if len(c) > 255 {
			return nil, false
		}
		b = binary.BigEndian.AppendUint32(b, opLookup)
		b = binary.BigEndian.AppendUint32(b, uint32(len(c)))
		b = append(b, c...)
		b = append(b, make([]byte, -len(c)&3)...)
	}
	return binary.BigEndian.AppendUint32(b, opGetFH), true
}

// served asks the NFSv4 server at t, for the first maxServedAsked
// exports, whether it gives the scanner a file handle: a COMPOUND whose
// status is NFS4_OK marks the export Served. AUTH_SYS as nobody, the
// flavor an NFSv4 server without Kerberos takes; a server that refuses
// it serves nothing to us.
func served(ctx context.Context, t *audit.Target, exports []Export) error {
	c, err := t.DialPlain(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	for i := range exports[:min(len(exports), maxServedAsked)] {
		args, ok := LookupCompound(exports[i].Dir)
		if !ok {
			continue
		}
		res, err := rpcOnce(c, progNFS, 4, procCompound, true, args, 4096)
		if errors.Is(err, errRPCAuth) {
			continue
		}
		if err != nil {
			return err
		}
		if len(res) < 4 {
			return errors.New("COMPOUND result cut short")
		}
		exports[i].Served = binary.BigEndian.Uint32(res) == 0 // NFS4_OK
	}
	return nil
}

// mayName reports whether a client list may name addr: a group that is
// an address or a network holding it, or one that is not an address
// (a host name, a netgroup, a wildcard domain), which the check does not
// resolve.
func mayName(groups []string, addr netip.Addr) bool {
	for _, g := range groups {
		if a, err := netip.ParseAddr(g); err == nil {
			if a.Unmap() == addr {
				return true
			}
			continue
		}
		if p, err := netip.ParsePrefix(g); err == nil {
			if p.Contains(addr) {
				return true
			}
			continue
		}
		return true
	}
	return false
}

package smb

import (
	"encoding/binary"
	"strings"
)

// NetBIOS session service packet types (RFC 1002 section 4.3).
const (
	nbSessionMessage  = 0x00
	nbSessionRequest  = 0x81
	nbPositive        = 0x82
	nbNegative        = 0x83
	nbRetarget        = 0x84
	nbKeepAlive       = 0x85
	nbHeaderLen       = 4
	maxFrame          = 64 << 10
	smbServerWildcard = "*SMBSERVER"
)

// frame wraps an SMB message in a NetBIOS session message header (also
// the framing of direct TCP on 445, RFC 1001/1002 and [MS-SMB2] 2.1).
func frame(msg []byte) []byte {
	out := make([]byte, nbHeaderLen, nbHeaderLen+len(msg))
	binary.BigEndian.PutUint32(out, uint32(len(msg))&0x00ffffff)
	return append(out, msg...)
}

// frameComplete is a ReadUntil test: one NetBIOS packet is whole, or its
// first byte shows it is none.
func frameComplete(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	switch b[0] {
	case nbSessionMessage, nbPositive, nbNegative, nbRetarget, nbKeepAlive:
	default:
		return true
	}
	if len(b) < nbHeaderLen {
		return false
	}
	n := int(binary.BigEndian.Uint32(b) & 0x00ffffff)
	return n > maxFrame || len(b) >= nbHeaderLen+n
}

// unframe returns the payload of the NetBIOS packet at the start of b,
// its type, and whether it is whole.
func unframe(b []byte) (typ byte, payload []byte, ok bool) {
	if len(b) < nbHeaderLen {
		return 0, nil, false
	}
	n := int(binary.BigEndian.Uint32(b) & 0x00ffffff)
	if n > maxFrame || len(b) < nbHeaderLen+n {
		return 0, nil, false
	}
	return b[0], b[nbHeaderLen : nbHeaderLen+n], true
}

// encodeName is the first-level encoding of a NetBIOS name (RFC 1001
// section 14.1): padded to 15 characters, a suffix byte, each nibble as a
// letter from 'A', as one length-prefixed label.
func encodeName(name string, suffix byte) []byte {
	name = strings.ToUpper(name)
	if len(name) > 15 {
		name = name[:15]
	}
	raw := []byte(name + strings.Repeat(" ", 15-len(name)))
	raw = append(raw, suffix)
	out := []byte{32}
	for _, c := range raw {
		out = append(out, 'A'+c>>4, 'A'+c&0x0f)
	}
	return append(out, 0)
}

// sessionRequest asks for a session with the server's file service under
// the wildcard name *SMBSERVER, which Samba and Windows accept.
func sessionRequest() []byte {
	var body []byte
	body = append(body, encodeName(smbServerWildcard, 0x20)...)
	body = append(body, encodeName("AJAR", 0x00)...)
	out := make([]byte, nbHeaderLen, nbHeaderLen+len(body))
	binary.BigEndian.PutUint32(out, uint32(len(body)))
	out[0] = nbSessionRequest
	return append(out, body...)
}

// Package netbiosns recognises the NetBIOS name service (RFC 1001, RFC
// 1002) over UDP by a NODE STATUS REQUEST for the wildcard name "*",
// which every NetBIOS node answers with its name table: the machine's
// name, its workgroup and, from Windows, its MAC address (Samba's nmbd
// gives zeros).
package netbiosns

import (
	"encoding/binary"
	"fmt"
	"net"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/record"
)

const (
	name   = "netbios-ns"
	port   = 137
	rarity = 3
	// transactionID is the NAME_TRN_ID of our request; the answer
	// carries it back.
	transactionID = 0x616a // "aj"
	typeNBSTAT    = 0x0021
	classIN       = 0x0001
	// maxNames bounds the names read from one answer.
	maxNames = 64
)

func init() {
	fingerprint.RegisterUDP(fingerprint.UDPProbe{Name: name, Ports: []uint16{port}, Datagrams: [][]byte{Request()}, Rarity: rarity}, Parse)
}

// Request is the NODE STATUS REQUEST (RFC 1002 §4.2.17): a DNS-like
// header (§4.2.1.1, all flags zero, one question), the name "*" and 15
// NUL bytes in first-level encoding (RFC 1001 §14.1: each byte as two
// letters 'A'+nibble, 32 letters in one label), type NBSTAT, class IN.
func Request() []byte {
	b := binary.BigEndian.AppendUint16(nil, transactionID)
	b = append(b, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0)
	b = append(b, 32)
	var nb [16]byte
	nb[0] = '*'
	for _, c := range nb {
		b = append(b, 'A'+c>>4, 'A'+c&0x0f)
	}
	b = append(b, 0) // no scope
	b = binary.BigEndian.AppendUint16(b, typeNBSTAT)
	return binary.BigEndian.AppendUint16(b, classIN)
}

// Name is one entry of a node's name table.
type Name struct {
	Name   string // up to 15 characters, trailing spaces cut
	Suffix byte   // the service: 0x00 workstation, 0x20 file server...
	Group  bool
}

// Status is what a node says of itself.
type Status struct {
	Names []Name
	MAC   net.HardwareAddr
}

// ParseStatus reads a NODE STATUS RESPONSE (RFC 1002 §4.2.18) to
// Request: our transaction ID, a response with opcode 0 and no error,
// one answer of type NBSTAT, its name table. Anything else is ErrNoMatch.
func ParseStatus(b []byte) (*Status, error) {
	if len(b) < 12 {
		return nil, fingerprint.ErrNoMatch
	}
	id, flags := binary.BigEndian.Uint16(b), binary.BigEndian.Uint16(b[2:])
	qd, an := binary.BigEndian.Uint16(b[4:]), binary.BigEndian.Uint16(b[6:])
	if id != transactionID || flags&0x8000 == 0 || flags>>11&0xf != 0 || flags&0xf != 0 || qd != 0 || an != 1 {
		return nil, fingerprint.ErrNoMatch
	}
	off, ok := skipName(b, 12)
	if !ok || len(b) < off+10 {
		return nil, fingerprint.ErrNoMatch
	}
	typ, class := binary.BigEndian.Uint16(b[off:]), binary.BigEndian.Uint16(b[off+2:])
	rdlen := int(binary.BigEndian.Uint16(b[off+8:]))
	rdata := b[off+10:]
	if typ != typeNBSTAT || class != classIN || len(rdata) < rdlen || rdlen < 1 {
		return nil, fingerprint.ErrNoMatch
	}
	rdata = rdata[:rdlen]
	n := int(rdata[0])
	if n > maxNames || len(rdata) < 1+18*n {
		return nil, fingerprint.ErrNoMatch
	}
	st := &Status{}
	for i := range n {
		e := rdata[1+18*i : 1+18*(i+1)]
		st.Names = append(st.Names, Name{
			Name:   strings.TrimRight(string(e[:15]), " \x00"),
			Suffix: e[15],
			Group:  e[16]&0x80 != 0,
		})
	}
	if stats := rdata[1+18*n:]; len(stats) >= 6 {
		st.MAC = net.HardwareAddr(append([]byte(nil), stats[:6]...))
	}
	return st, nil
}

// skipName steps over a name at off: labels up to the root, or a
// compression pointer.
func skipName(b []byte, off int) (int, bool) {
	for range 64 {
		if off >= len(b) {
			return 0, false
		}
		l := int(b[off])
		switch {
		case l == 0:
			return off + 1, true
		case l&0xc0 == 0xc0:
			return off + 2, off+2 <= len(b)
		case l > 63:
			return 0, false
		}
		off += 1 + l
	}
	return 0, false
}

// Parse reads the answer to Request and describes the node.
func Parse(b []byte) (*record.Service, error) {
	st, err := ParseStatus(b)
	if err != nil {
		return nil, err
	}
	svc := &record.Service{Name: name, Confidence: 9}
	var host, group string
	for _, n := range st.Names {
		switch {
		case n.Suffix == 0x00 && !n.Group && host == "":
			host = printable(n.Name)
		case n.Suffix == 0x00 && n.Group && group == "":
			group = printable(n.Name)
		}
	}
	var info []string
	if host != "" {
		info = append(info, "name: "+host)
	}
	if group != "" {
		info = append(info, "workgroup: "+group)
	}
	if st.MAC != nil && !allZero(st.MAC) {
		info = append(info, "MAC: "+st.MAC.String())
	}
	svc.ExtraInfo = strings.Join(info, "; ")
	return svc, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// printable keeps a name's printable ASCII; anything else becomes \xNN.
func printable(s string) string {
	var sb strings.Builder
	for i := range len(s) {
		if c := s[i]; c >= 0x20 && c < 0x7f {
			sb.WriteByte(c)
		} else {
			fmt.Fprintf(&sb, `\x%02x`, c)
		}
	}
	return sb.String()
}

// Package ssh judges an SSH server as ssh-audit does, from what it says
// before any authentication: its identification line (SSH-1 still
// offered) and its SSH_MSG_KEXINIT (RFC 4253 section 7.1), whose
// algorithm lists are held to a table of weak algorithms (weak.go) and to
// the Terrapin condition (CVE-2023-48795). The check reads the server's
// KEXINIT and sends nothing but its own identification line: no key
// exchange, no authentication.
package ssh

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// KexInit is a server's SSH_MSG_KEXINIT: its algorithm lists, each in
// the server's order of preference.
type KexInit struct {
	Kex, HostKey                   []string
	CiphersC2S, CiphersS2C         []string
	MACsC2S, MACsS2C               []string
	CompressionC2S, CompressionS2C []string
}

// msgKexInit is SSH_MSG_KEXINIT's number (RFC 4253 section 12).
const msgKexInit = 20

// maxPacket bounds the packet read: RFC 4253 section 6.1 asks every
// implementation to take 35000 bytes.
const maxPacket = 35000

var errNotKexInit = errors.New("ssh: not a KEXINIT")

// ParsePacket takes the payload out of an unencrypted binary packet
// (RFC 4253 section 6): uint32 packet_length, byte padding_length,
// payload, padding. It returns the payload, and how many bytes of b the
// packet took; n is 0 when b does not yet hold the whole packet.
func ParsePacket(b []byte) (payload []byte, n int, err error) {
	if len(b) < 5 {
		return nil, 0, nil
	}
	plen := binary.BigEndian.Uint32(b)
	if plen < 2 || plen > maxPacket {
		return nil, 0, fmt.Errorf("ssh: packet length %d", plen)
	}
	pad := int(b[4])
	if pad+1 > int(plen) {
		return nil, 0, fmt.Errorf("ssh: padding %d in a packet of %d", pad, plen)
	}
	if len(b) < 4+int(plen) {
		return nil, 0, nil
	}
	return b[5 : 4+int(plen)-pad], 4 + int(plen), nil
}

// ParseKexInit reads an SSH_MSG_KEXINIT payload: the message number, a
// 16-byte cookie, ten name-lists, a boolean and a reserved uint32.
func ParseKexInit(p []byte) (KexInit, error) {
	if len(p) < 17 || p[0] != msgKexInit {
		return KexInit{}, errNotKexInit
	}
	p = p[17:]
	var lists [10][]string
	for i := range lists {
		if len(p) < 4 {
			return KexInit{}, fmt.Errorf("ssh: KEXINIT cut in name-list %d", i)
		}
		n := binary.BigEndian.Uint32(p)
		if uint64(n) > uint64(len(p)-4) {
			return KexInit{}, fmt.Errorf("ssh: name-list %d of %d bytes in %d", i, n, len(p)-4)
		}
		if n > 0 {
			lists[i] = strings.Split(string(p[4:4+n]), ",")
		}
		p = p[4+n:]
	}
	if len(p) < 5 {
		return KexInit{}, errors.New("ssh: KEXINIT cut after its name-lists")
	}
	return KexInit{
		Kex: lists[0], HostKey: lists[1], CiphersC2S: lists[2], CiphersS2C: lists[3],
		MACsC2S: lists[4], MACsS2C: lists[5], CompressionC2S: lists[6], CompressionS2C: lists[7],
	}, nil
}

// ProtoVersion is the protocol version of an identification line
// ("SSH-2.0-OpenSSH_9.2p1" is "2.0"), "" when line is not one.
func ProtoVersion(line string) string {
	rest, ok := strings.CutPrefix(line, "SSH-")
	if !ok {
		return ""
	}
	v, _, ok := strings.Cut(rest, "-")
	if !ok {
		return ""
	}
	return v
}

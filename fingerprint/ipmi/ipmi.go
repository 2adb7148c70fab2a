// Package ipmi recognises IPMI baseboard management controllers over
// RMCP (UDP 623) by the request every IPMI client sends first, Get
// Channel Authentication Capabilities, outside any session (IPMI v2.0
// §13.6, §22.13): the answer, from the BMC's address to ours, repeats
// our sequence number and command, with both checksums right, and tells
// the IPMI versions, authentication types and whether anonymous or null
// user logins are on. Only our request's answer names the service.
package ipmi

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/record"
)

const (
	name   = "ipmi"
	port   = 623
	rarity = 6
	// RMCP (ASF 2.0 §3.2.2.1): version 6, no RMCP ACK (sequence 0xff),
	// class IPMI.
	rmcpVersion  = 0x06
	rmcpNoACK    = 0xff
	rmcpIPMI     = 0x07
	bmcAddr      = 0x20 // responder: the BMC
	swAddr       = 0x81 // requester: remote console software 1
	netFnApp     = 0x06
	cmdAuthCaps  = 0x38
	rqSeq        = 0x2a // ours, six bits, returned in the answer
	channelThis  = 0x0e // "this channel"
	v2Extended   = 0x80 // ask for IPMI v2.0 extended data
	privAdmin    = 0x04
	sessionBytes = 10 // auth type, sequence, session ID, length
)

func init() {
	fingerprint.RegisterUDP(fingerprint.UDPProbe{Name: name, Ports: []uint16{port}, Datagrams: [][]byte{Request()}, Rarity: rarity}, Parse)
}

// Request is Get Channel Authentication Capabilities for this channel at
// the administrator level, IPMI v2.0 data asked for, in an IPMI v1.5
// session header with no authentication and session 0.
func Request() []byte {
	msg := []byte{bmcAddr, netFnApp << 2, 0, swAddr, rqSeq << 2, cmdAuthCaps, v2Extended | channelThis, privAdmin, 0}
	msg[2] = checksum(msg[:2])
	msg[8] = checksum(msg[3:8])
	b := []byte{rmcpVersion, 0, rmcpNoACK, rmcpIPMI, 0, 0, 0, 0, 0, 0, 0, 0, 0, byte(len(msg))}
	return append(b, msg...)
}

// checksum is the two's complement of the sum of b: a field and its
// checksum add up to zero.
func checksum(b []byte) byte {
	var s byte
	for _, c := range b {
		s += c
	}
	return -s
}

// Parse reads the answer to Request: RMCP of class IPMI, a session
// header with no authentication whose length covers the message, then a
// response from the BMC to us (network function App + 1) to our
// sequence number and command, with both checksums right. A completion
// code other than 0 still names the service; its data then goes unread.
// Anything else is ErrNoMatch.
func Parse(b []byte) (*record.Service, error) {
	if len(b) < 4+sessionBytes || b[0] != rmcpVersion || b[3] != rmcpIPMI || b[4] != 0 {
		return nil, fingerprint.ErrNoMatch
	}
	msg := b[4+sessionBytes:]
	if int(b[4+sessionBytes-1]) != len(msg) || len(msg) < 8 {
		return nil, fingerprint.ErrNoMatch
	}
	if msg[0] != swAddr || msg[1] != (netFnApp+1)<<2 || checksum(msg[:2]) != msg[2] ||
		msg[3] != bmcAddr || msg[4] != rqSeq<<2 || msg[5] != cmdAuthCaps || checksum(msg[3:len(msg)-1]) != msg[len(msg)-1] {
		return nil, fingerprint.ErrNoMatch
	}
	cc, data := msg[6], msg[7:len(msg)-1]
	svc := &record.Service{Name: name, Confidence: 10}
	if cc != 0 {
		svc.ExtraInfo = fmt.Sprintf("completion code 0x%02x", cc)
		return svc, nil
	}
	if len(data) != 8 {
		return nil, fingerprint.ErrNoMatch
	}
	svc.ExtraInfo = describe(data)
	return svc, nil
}

// authNames are the authentication type bits of the answer's second byte.
var authNames = []string{"none", "MD2", "MD5", "", "password", "OEM"}

// describe reads the answer's data (IPMI v2.0 §22.13): channel, the
// authentication types, the login status bits, the IPMI versions when
// v2.0 data is there, and the OEM ID.
func describe(d []byte) string {
	var info []string
	switch {
	case d[1]&0x80 != 0 && d[3]&0x02 != 0:
		info = append(info, "IPMI 2.0")
	case d[1]&0x80 != 0 && d[3]&0x01 != 0, d[1]&0x80 == 0:
		info = append(info, "IPMI 1.5")
	}
	var auths []string
	for i, n := range authNames {
		if n != "" && d[1]&(1<<i) != 0 {
			auths = append(auths, n)
		}
	}
	if len(auths) > 0 {
		info = append(info, "auth "+strings.Join(auths, ","))
	}
	if d[2]&0x01 != 0 {
		info = append(info, "anonymous login enabled")
	}
	if d[2]&0x02 != 0 {
		info = append(info, "null user names enabled")
	}
	if d[2]&0x10 != 0 {
		info = append(info, "per-message authentication off")
	}
	if oem := int(d[4]) | int(d[5])<<8 | int(d[6])<<16; oem != 0 {
		info = append(info, "OEM "+strconv.Itoa(oem))
	}
	return strings.Join(info, "; ")
}

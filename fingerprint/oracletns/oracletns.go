// Package oracletns recognises the Oracle TNS listener (Oracle Database's
// Transparent Network Substrate) by a CONNECT packet: the listener answers
// ACCEPT, REFUSE (with its error and VSNNUM, the listener's version),
// REDIRECT or RESEND, each a TNS packet whose length field is the length
// of the packet. A REFUSE or REDIRECT must carry TNS's parenthesised
// connect data; an ACCEPT must carry a protocol version we offered.
package oracletns

import (
	"context"
	"encoding/binary"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "oracle-tns", Proto: portspec.TCP, Ports: []uint16{1521, 1526, 1522}, TLSPorts: []uint16{2484}, Rarity: 8}
}

// Packet types of TNS.
const (
	typeConnect  = 1
	typeAccept   = 2
	typeRefuse   = 4
	typeRedirect = 5
	typeResend   = 11

	// headerLen is the TNS packet header: length, checksum, type,
	// flags, header checksum.
	headerLen = 8
	// connectDataOffset is where our connect data starts.
	connectDataOffset = 58
	// versionOffered is the highest protocol version we offer (314);
	// versionLowest the lowest any listener answers (300).
	versionOffered = 0x013a
	versionLowest  = 0x012c
	answerMax      = 4096
)

// connectData is the connect descriptor: a service nobody has, so that
// a listener refuses it with its version, or accepts a default service.
const connectData = "(DESCRIPTION=(CONNECT_DATA=(SERVICE_NAME=ajar.invalid)(CID=(PROGRAM=ajar)(HOST=ajar)(USER=ajar)))" +
	"(ADDRESS=(PROTOCOL=TCP)(HOST=127.0.0.1)(PORT=1521)))"

// Connect is the CONNECT packet: protocol versions 300 to 314, SDU 8192.
func Connect() []byte {
	b := make([]byte, connectDataOffset, connectDataOffset+len(connectData))
	binary.BigEndian.PutUint16(b[0:], uint16(connectDataOffset+len(connectData)))
	b[4] = typeConnect
	binary.BigEndian.PutUint16(b[8:], versionOffered) // version
	binary.BigEndian.PutUint16(b[10:], versionLowest) // lowest compatible version
	binary.BigEndian.PutUint16(b[14:], 0x2000)        // session data unit
	binary.BigEndian.PutUint16(b[16:], 0x7fff)        // transport data unit
	binary.BigEndian.PutUint16(b[18:], 0x7f08)        // protocol characteristics
	binary.BigEndian.PutUint16(b[22:], 0x0100)        // 1 in the hardware's byte order
	binary.BigEndian.PutUint16(b[24:], uint16(len(connectData)))
	binary.BigEndian.PutUint16(b[26:], connectDataOffset)
	b[32], b[33] = 0x41, 0x41 // connect flags
	return append(b, connectData...)
}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	req := Connect()
	for range 2 {
		b, err := c.Exchange(req, packetDone, answerMax)
		if len(b) >= headerLen && b[4] == typeResend && packetDone(b) {
			continue // the listener asks for the CONNECT again
		}
		svc, perr := Parse(b)
		if perr != nil && len(b) == 0 && err != nil {
			return nil, err
		}
		return svc, perr
	}
	return nil, fingerprint.ErrNoMatch
}

// packetDone is a ReadUntil test: a whole packet by its length field, or
// bytes that cannot be a TNS packet.
func packetDone(b []byte) bool {
	if len(b) < 2 {
		return false
	}
	n := int(binary.BigEndian.Uint16(b))
	return n < headerLen || len(b) >= n
}

// vsnnum finds the listener's version number in a REFUSE's data.
var vsnnum = regexp.MustCompile(`\(VSNNUM=([0-9]{1,10})\)`)

// errNum finds the error number in a REFUSE's data.
var errNum = regexp.MustCompile(`\(ERR=([0-9]{1,6})\)`)

// Parse reads the answer to Connect: one whole TNS packet of type ACCEPT,
// REFUSE or REDIRECT (RESEND is handled by asking again).
func Parse(b []byte) (*record.Service, error) {
	if len(b) < headerLen+2 || int(binary.BigEndian.Uint16(b)) != len(b) || b[5] != 0 {
		return nil, fingerprint.ErrNoMatch
	}
	body := b[headerLen:]
	svc := &record.Service{Name: "oracle-tns", Product: "Oracle TNS listener", Confidence: 10}
	switch b[4] {
	case typeAccept:
		// version, service options, SDU, TDU, hardware 1, data length,
		// data offset.
		if len(body) < 16 {
			return nil, fingerprint.ErrNoMatch
		}
		v := binary.BigEndian.Uint16(body)
		if v < versionLowest || v > versionOffered || binary.BigEndian.Uint16(body[8:]) != 0x0100 {
			return nil, fingerprint.ErrNoMatch
		}
		svc.ExtraInfo = fmt.Sprintf("accepted; TNS protocol %d", v)
	case typeRefuse:
		// user reason, system reason, data length, data.
		if len(body) < 4 || int(binary.BigEndian.Uint16(body[2:])) != len(body)-4 {
			return nil, fingerprint.ErrNoMatch
		}
		data := string(body[4:])
		if !strings.HasPrefix(data, "(DESCRIPTION=") || !strings.HasSuffix(data, ")") {
			return nil, fingerprint.ErrNoMatch
		}
		if m := errNum.FindStringSubmatch(data); m != nil {
			svc.ExtraInfo = "refused: TNS-" + m[1]
		} else {
			svc.ExtraInfo = "refused"
		}
		if m := vsnnum.FindStringSubmatch(data); m != nil {
			if v, ok := Version(m[1]); ok {
				svc.Version = v
				// NVD names releases by their first four numbers.
				cpev := v[:strings.LastIndexByte(v, '.')]
				svc.CPE = []string{fingerprint.CPE("oracle", "database_server", cpev)}
			}
		}
	case typeRedirect:
		// data length, data.
		if len(body) < 2 || int(binary.BigEndian.Uint16(body)) > len(body)-2 {
			return nil, fingerprint.ErrNoMatch
		}
		data := string(body[2 : 2+binary.BigEndian.Uint16(body)])
		if !strings.HasPrefix(data, "(ADDRESS=") && !strings.HasPrefix(data, "(DESCRIPTION=") {
			return nil, fingerprint.ErrNoMatch
		}
		svc.ExtraInfo = "redirect to " + fingerprint.Printable([]byte(data), 120)
	default:
		return nil, fingerprint.ErrNoMatch
	}
	if svc.CPE == nil {
		svc.CPE = []string{fingerprint.CPE("oracle", "database_server", "")}
	}
	return svc, nil
}

// Version decodes a VSNNUM, the listener's version as one number: 8 bits
// of major version, 4 of maintenance release, 8 of application server
// release, 4 of component release and 8 of platform release
// (186647552 = 0x0b200400 is 11.2.0.4.0).
func Version(s string) (string, bool) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n>>24 == 0 {
		return "", false
	}
	return fmt.Sprintf("%d.%d.%d.%d.%d", n>>24, n>>20&0xf, n>>12&0xff, n>>8&0xf, n&0xff), true
}

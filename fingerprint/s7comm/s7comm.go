// Package s7comm recognises Siemens S7 PLCs (S7comm over ISO-on-TCP,
// RFC 1006) by the exchange every S7 client starts with: a COTP
// Connection Request to the PLC's TSAP, answered by a Connection
// Confirm, then an S7 "setup communication" job, answered by an
// acknowledgement (protocol 0x32, ROSCTR 3) that carries our PDU
// reference back. Only then is the service named; a read of the system
// status list 0x0011 (module identification) then gives the order
// number and firmware version when the PLC allows it.
package s7comm

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/internal/ask"
	"github.com/ajarsec/ajar/fingerprint/internal/banner"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

// Info: rare on most networks, so tried after the common protocols. This
// plugin names nothing on a Connection Confirm alone, which other ISO
// transport services (RDP's X.224) give too.
func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "s7comm", Proto: portspec.TCP, Ports: []uint16{102}, Rarity: 8}
}

const (
	tpktLen   = 4
	maxAnswer = 1024
	// ref is the PDU reference of our setup job.
	ref = 0x616a
	// szlRef is the PDU reference of our SZL read.
	szlRef = 0x616b
	// cotpCC and cotpDR are the TPDU codes of a Connection Confirm and a
	// Disconnect Request.
	cotpCC = 0xd0
	cotpDR = 0x80
)

// tsaps are the destination TSAPs tried: rack 0 slot 2 (S7-300/400),
// then the one S7-1200 and S7-1500 answer on.
var tsaps = []uint16{0x0102, 0x0200}

// ConnectionRequest is a COTP CR in TPKT, class 0, TPDU size 1024,
// source TSAP 0x0100 and destination TSAP dst.
func ConnectionRequest(dst uint16) []byte {
	return []byte{3, 0, 0, 22, 17, 0xe0, 0, 0, 0, 1, 0,
		0xc0, 1, 0x0a, 0xc1, 2, 1, 0, 0xc2, 2, byte(dst >> 8), byte(dst)}
}

// SetupRequest is the S7 setup communication job: one calling and one
// called job in parallel, PDU size 480.
func SetupRequest() []byte {
	return []byte{3, 0, 0, 25, 2, 0xf0, 0x80,
		0x32, 1, 0, 0, ref >> 8, ref & 0xff, 0, 8, 0, 0,
		0xf0, 0, 0, 1, 0, 1, 0x01, 0xe0}
}

// SZLRequest reads the system status list 0x0011, index 0: the module
// identification, in a userdata PDU of the CPU functions group.
func SZLRequest() []byte {
	return []byte{3, 0, 0, 33, 2, 0xf0, 0x80,
		0x32, 7, 0, 0, szlRef >> 8, szlRef & 0xff, 0, 8, 0, 8,
		0, 1, 0x12, 4, 0x11, 0x44, 1, 0,
		0xff, 9, 0, 4, 0, 0x11, 0, 0}
}

func (plugin) Identify(ctx context.Context, c *fingerprint.Conn) (*record.Service, error) {
	conn := c
	for i, dst := range tsaps {
		if i > 0 {
			var err error
			if conn, err = c.Redial(ctx); err != nil {
				return nil, fingerprint.ErrNoMatch
			}
			defer conn.Close()
		}
		b, err := ask.Exchange(conn, ConnectionRequest(dst), whole, maxAnswer)
		if err != nil {
			return nil, err
		}
		code, err := ParseTPDU(b)
		if err != nil {
			return nil, err
		}
		if code == cotpCC {
			return setup(conn)
		}
		if code != cotpDR {
			return nil, fingerprint.ErrNoMatch
		}
	}
	return nil, fingerprint.ErrNoMatch
}

// setup runs the setup job on a connection the PLC confirmed, and then
// asks for the module identification.
func setup(c *fingerprint.Conn) (*record.Service, error) {
	b, err := ask.Exchange(c, SetupRequest(), whole, maxAnswer)
	if err != nil {
		return nil, err
	}
	svc, err := ParseSetup(b)
	if err != nil {
		return nil, err
	}
	if b, err = c.Exchange(SZLRequest(), whole, maxAnswer); err == nil {
		if id, err := ParseSZL(b); err == nil {
			describe(svc, id)
		}
	}
	return svc, nil
}

// whole is a ReadUntil test: the TPKT length says the packet is all
// there.
func whole(b []byte) bool {
	return len(b) >= tpktLen && len(b) >= int(binary.BigEndian.Uint16(b[2:]))
}

// tpkt returns the payload of the one TPKT packet b holds.
func tpkt(b []byte) ([]byte, bool) {
	if len(b) < tpktLen+3 || b[0] != 3 || b[1] != 0 || int(binary.BigEndian.Uint16(b[2:])) != len(b) {
		return nil, false
	}
	return b[tpktLen:], true
}

// ParseTPDU reads the answer to a Connection Request: one TPKT packet
// holding a COTP Connection Confirm or Disconnect Request, whose length
// indicator counts the rest of the packet. It returns the TPDU code.
func ParseTPDU(b []byte) (byte, error) {
	p, ok := tpkt(b)
	if !ok || int(p[0]) != len(p)-1 || p[0] < 6 {
		return 0, fingerprint.ErrNoMatch
	}
	code := p[1] & 0xf0
	if code != cotpCC && code != cotpDR {
		return 0, fingerprint.ErrNoMatch
	}
	return code, nil
}

// s7pdu returns the S7 PDU of a COTP data TPDU (DT, last unit) in TPKT,
// checked against its header's parameter and data lengths, with the
// header's length (10, or 12 for an acknowledgement with error bytes).
func s7pdu(b []byte, rosctr byte, pduRef uint16) (pdu []byte, hdr int, ok bool) {
	p, ok := tpkt(b)
	if !ok || p[0] != 2 || p[1] != 0xf0 || p[2] != 0x80 {
		return nil, 0, false
	}
	pdu = p[3:]
	hdr = 10
	if rosctr == 2 || rosctr == 3 {
		hdr = 12 // an acknowledgement's error class and code
	}
	if len(pdu) < hdr || pdu[0] != 0x32 || pdu[1] != rosctr || binary.BigEndian.Uint16(pdu[4:]) != pduRef {
		return nil, 0, false
	}
	params, data := int(binary.BigEndian.Uint16(pdu[6:])), int(binary.BigEndian.Uint16(pdu[8:]))
	if hdr+params+data != len(pdu) {
		return nil, 0, false
	}
	return pdu, hdr, true
}

// ParseSetup reads the acknowledgement of the setup job: the service is
// S7comm, and the PDU size is the one the PLC chose.
func ParseSetup(b []byte) (*record.Service, error) { return parseSetup(b, ref) }

func parseSetup(b []byte, pduRef uint16) (*record.Service, error) {
	pdu, hdr, ok := s7pdu(b, 3, pduRef)
	if !ok {
		return nil, fingerprint.ErrNoMatch
	}
	svc := &record.Service{Name: "s7comm", Product: "Siemens S7 PLC", Confidence: 10}
	switch params := pdu[hdr:]; {
	case pdu[10] != 0 || pdu[11] != 0:
		svc.ExtraInfo = fmt.Sprintf("setup refused: error class %#02x code %#02x", pdu[10], pdu[11])
	case len(params) == 8 && params[0] == 0xf0:
		svc.ExtraInfo = fmt.Sprintf("PDU size %d", binary.BigEndian.Uint16(params[6:]))
	default:
		return nil, fingerprint.ErrNoMatch
	}
	return svc, nil
}

// Module is what the system status list 0x0011 tells.
type Module struct {
	// OrderNumber is the module's order number (MLFB), as
	// "6ES7 315-2EH14-0AB0".
	OrderNumber string
	// Firmware is the firmware version, as "3.2.6".
	Firmware string
}

// ParseSZL reads the answer to SZLRequest: a userdata PDU whose data
// holds SZL 0x0011 records of 28 bytes (index, MLFB, module type, two
// version words). Record 1 holds the order number, record 7 the
// firmware version ('V' and three numbers).
func ParseSZL(b []byte) (*Module, error) { return parseSZL(b, szlRef) }

func parseSZL(b []byte, pduRef uint16) (*Module, error) {
	pdu, hdr, ok := s7pdu(b, 7, pduRef)
	if !ok {
		return nil, fingerprint.ErrNoMatch
	}
	params := int(binary.BigEndian.Uint16(pdu[6:]))
	data := pdu[hdr+params:]
	if len(data) < 12 || data[0] != 0xff || binary.BigEndian.Uint16(data[4:]) != 0x0011 {
		return nil, fingerprint.ErrNoMatch
	}
	size, count := int(binary.BigEndian.Uint16(data[8:])), int(binary.BigEndian.Uint16(data[10:]))
	recs := data[12:]
	if size != 28 || count*size != len(recs) {
		return nil, fingerprint.ErrNoMatch
	}
	m := &Module{}
	for i := 0; i < count; i++ {
		r := recs[i*size : (i+1)*size]
		switch binary.BigEndian.Uint16(r) {
		case 1:
			if mlfb := strings.TrimSpace(string(r[2:22])); banner.IsText(mlfb) {
				m.OrderNumber = mlfb
			}
		case 7:
			if r[24] == 'V' {
				m.Firmware = fmt.Sprintf("%d.%d.%d", r[25], r[26], r[27])
			}
		}
	}
	return m, nil
}

// describe adds the module identification to svc.
func describe(svc *record.Service, m *Module) {
	svc.Version = m.Firmware
	if m.OrderNumber != "" {
		svc.ExtraInfo = banner.JoinInfo("order number "+m.OrderNumber, svc.ExtraInfo)
		svc.CPE = []string{fingerprint.CPEPart("h", "siemens", m.OrderNumber, "")}
	}
}

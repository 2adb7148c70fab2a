// Package bacnet recognises BACnet/IP devices (building automation:
// controllers, thermostats, gateways; ASHRAE 135 Annex J) over UDP by a
// confirmed ReadProperty of the model-name of the device object with the
// wildcard instance 4194303, which every BACnet device takes as "this
// device" (ASHRAE 135 §12.11): the answer repeats our invoke ID and
// service, a ComplexACK with the model name, or an Error, Reject or
// Abort that still proves a BACnet application layer.
package bacnet

import (
	"encoding/binary"
	"fmt"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/record"
)

const (
	name   = "bacnet"
	port   = 47808 // 0xBAC0
	rarity = 8
	// BVLC (Annex J.2): type BACnet/IP, Original-Unicast-NPDU.
	bvlcType    = 0x81
	bvlcUnicast = 0x0a
	// bvlcForwarded is Forwarded-NPDU, from a BBMD (Annex J.2.9).
	bvlcForwarded = 0x04
	// npduVersion is the NPDU's version (§6.2.1); npduExpectReply its
	// control bit.
	npduVersion     = 0x01
	npduExpectReply = 0x04
	// APDU types (§20.1) and the ReadProperty service (§15.5).
	pduConfirmed   = 0x00
	pduComplexACK  = 0x30
	pduError       = 0x50
	pduReject      = 0x60
	pduAbort       = 0x70
	svcReadProp    = 0x0c
	invokeID       = 0x61
	maxAPDU1476    = 0x05
	wildcardDevice = 8<<22 | 4194303 // object type device, instance 4194303
	propModelName  = 70
	// maxName bounds the model name kept.
	maxName = 64
)

func init() {
	fingerprint.RegisterUDP(fingerprint.UDPProbe{Name: name, Ports: []uint16{port}, Datagrams: [][]byte{ReadModelName()}, Rarity: rarity}, Parse)
}

// ReadModelName is the BVLC header, an NPDU that expects a reply, and a
// confirmed ReadProperty request (invoke ID 0x61) for the model-name of
// device 4194303: context tag 0 with the object identifier, context tag
// 1 with the property identifier.
func ReadModelName() []byte {
	apdu := []byte{pduConfirmed, maxAPDU1476, invokeID, svcReadProp, 0x0c}
	apdu = binary.BigEndian.AppendUint32(apdu, wildcardDevice)
	apdu = append(apdu, 0x19, propModelName)
	b := []byte{bvlcType, bvlcUnicast, 0, 0, npduVersion, npduExpectReply}
	b = append(b, apdu...)
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	return b
}

// Parse reads the answer to ReadModelName: a BVLC of BACnet/IP whose
// length is the datagram's, Original-Unicast or Forwarded, an NPDU of version 1 that carries an APDU
// (its optional source address skipped), and an APDU for our invoke ID:
// a ComplexACK of ReadProperty for a device object and model-name with a
// character string value, or an Error of ReadProperty, a Reject or an
// Abort. Anything else is ErrNoMatch.
func Parse(b []byte) (*record.Service, error) {
	if len(b) < 6 || b[0] != bvlcType || int(binary.BigEndian.Uint16(b[2:])) != len(b) {
		return nil, fingerprint.ErrNoMatch
	}
	off := 4
	switch b[1] {
	case bvlcUnicast:
	case bvlcForwarded: // the original source's address and port first
		off += 6
	default:
		return nil, fingerprint.ErrNoMatch
	}
	if len(b) < off {
		return nil, fingerprint.ErrNoMatch
	}
	apdu, ok := npdu(b[off:])
	if !ok || len(apdu) < 3 {
		return nil, fingerprint.ErrNoMatch
	}
	svc := &record.Service{Name: name, Confidence: 10}
	switch apdu[0] & 0xf0 {
	case pduComplexACK:
		if apdu[0] != pduComplexACK || apdu[1] != invokeID || apdu[2] != svcReadProp {
			return nil, fingerprint.ErrNoMatch
		}
		model, ok := modelName(apdu[3:])
		if !ok {
			return nil, fingerprint.ErrNoMatch
		}
		svc.Product = model
	case pduError:
		if apdu[1] != invokeID || apdu[2] != svcReadProp || !errorBody(apdu[3:]) {
			return nil, fingerprint.ErrNoMatch
		}
		svc.ExtraInfo = "ReadProperty refused"
	case pduReject, pduAbort:
		if apdu[1] != invokeID || len(apdu) != 3 {
			return nil, fingerprint.ErrNoMatch
		}
		svc.ExtraInfo = fmt.Sprintf("ReadProperty rejected (reason %d)", apdu[2])
	default:
		return nil, fingerprint.ErrNoMatch
	}
	return svc, nil
}

// npdu skips the NPDU (§6.2): version 1, control without the
// network-layer-message bit, an optional destination (DNET, DLEN, DADR,
// then a hop count) and source (SNET, SLEN, SADR). It returns the APDU.
func npdu(b []byte) ([]byte, bool) {
	if len(b) < 2 || b[0] != npduVersion || b[1]&0x80 != 0 {
		return nil, false
	}
	ctl, rest := b[1], b[2:]
	if ctl&0x20 != 0 { // destination
		if len(rest) < 3 || len(rest) < 3+int(rest[2])+1 {
			return nil, false
		}
		rest = rest[3+int(rest[2]):]
	}
	if ctl&0x08 != 0 { // source
		if len(rest) < 3 || rest[2] == 0 || len(rest) < 3+int(rest[2]) {
			return nil, false
		}
		rest = rest[3+int(rest[2]):]
	}
	if ctl&0x20 != 0 { // hop count
		if len(rest) < 1 {
			return nil, false
		}
		rest = rest[1:]
	}
	return rest, true
}

// modelName reads a ReadProperty-ACK (§15.5.1.3.1): the device's object
// identifier, property 70, and the value between opening and closing
// tag 3, one CharacterString (application tag 7, §20.2.9).
func modelName(b []byte) (string, bool) {
	if len(b) < 5+2+1 || b[0] != 0x0c || binary.BigEndian.Uint32(b[1:])>>22 != 8 || b[5] != 0x19 || b[6] != propModelName {
		return "", false
	}
	b = b[7:]
	if len(b) < 3 || b[0] != 0x3e || b[len(b)-1] != 0x3f {
		return "", false
	}
	v := b[1 : len(b)-1]
	if len(v) < 2 || v[0]>>4 != 7 || v[0]&0x08 != 0 {
		return "", false
	}
	n, v := int(v[0]&0x07), v[1:]
	if n == 5 { // extended length (§20.2.1.3.1): one byte below 254
		if len(v) < 1 || v[0] >= 254 {
			return "", false
		}
		n, v = int(v[0]), v[1:]
	}
	if n < 1 || len(v) != n || v[0] != 0 { // encoding 0: UTF-8
		return "", false
	}
	return fingerprint.Printable(v[1:], maxName), true
}

// errorBody reads an Error's two enumerations (§21): error class and
// error code, application tag 9 with one or two bytes each.
func errorBody(b []byte) bool {
	for range 2 {
		if len(b) < 1 || b[0]>>4 != 9 || b[0]&0x08 != 0 {
			return false
		}
		n := int(b[0] & 0x07)
		if n < 1 || n > 2 || len(b) < 1+n {
			return false
		}
		b = b[1+n:]
	}
	return len(b) == 0
}

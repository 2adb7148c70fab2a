// Package l2tp recognises L2TP network servers (RFC 2661) over UDP by a
// Start-Control-Connection-Request: a server answers with a
// Start-Control-Connection-Reply to our tunnel ID, whose attribute-value
// pairs name its host and, often, its vendor ("xelerance.com" is xl2tpd)
// and firmware revision.
package l2tp

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/internal/banner"
	"github.com/ajarsec/ajar/record"
)

const (
	name     = "l2tp"
	port     = 1701
	tunnelID = 0x616a
	// AVP types (RFC 2661 4.4).
	avpMessageType = 0
	avpFirmware    = 6
	avpHostName    = 7
	avpVendorName  = 8
	sccrq          = 1
	sccrp          = 2
	stopCCN        = 4
	// maxAVPs bounds the pairs read from one message.
	maxAVPs = 32
)

func init() {
	fingerprint.RegisterUDP(fingerprint.UDPProbe{Name: name, Ports: []uint16{port}, Datagrams: [][]byte{Request()},
		Rarity: 7}, Parse)
}

// Request is an SCCRQ: control message header (T, L, S, version 2), then
// Message Type 1, Protocol Version 1.0, Framing Capabilities (sync and
// async), Host Name "ajar" and our Assigned Tunnel ID.
func Request() []byte {
	avp := func(typ uint16, v []byte) []byte {
		b := binary.BigEndian.AppendUint16(nil, 0x8000|uint16(6+len(v)))
		b = binary.BigEndian.AppendUint16(b, 0)
		b = binary.BigEndian.AppendUint16(b, typ)
		return append(b, v...)
	}
	body := avp(avpMessageType, []byte{0, sccrq})
	body = append(body, avp(2, []byte{1, 0})...)
	body = append(body, avp(3, []byte{0, 0, 0, 3})...)
	body = append(body, avp(avpHostName, []byte("ajar"))...)
	body = append(body, avp(9, []byte{tunnelID >> 8, tunnelID & 0xff})...)
	hdr := []byte{0xc8, 0x02, 0, byte(12 + len(body)), 0, 0, 0, 0, 0, 0, 0, 0}
	return append(hdr, body...)
}

// Parse reads the answer: a control message of version 2 to our tunnel,
// its length right, whose first pair is the message type SCCRP (or
// StopCCN, a refusal), or a ZLB acknowledgement.
func Parse(b []byte) (*record.Service, error) {
	if len(b) < 12 || b[0]&0xcb != 0xc8 || b[1]&0x0f != 2 || int(binary.BigEndian.Uint16(b[2:])) != len(b) ||
		binary.BigEndian.Uint16(b[4:]) != tunnelID {
		return nil, fingerprint.ErrNoMatch
	}
	svc := &record.Service{Name: name, Confidence: 10}
	if len(b) == 12 && binary.BigEndian.Uint16(b[6:]) == 0 {
		// A zero-length body: the acknowledgement of an SCCRQ the server
		// took for a retransmission (a port scan sent the same one
		// before), still to our tunnel.
		svc.ExtraInfo = "ZLB acknowledgement"
		svc.Confidence = 8
		return svc, nil
	}
	var host, vendor, firmware string
	msgType := -1
	p := b[12:]
	for i := 0; len(p) > 0 && i < maxAVPs; i++ {
		if len(p) < 6 {
			return nil, fingerprint.ErrNoMatch
		}
		n := int(binary.BigEndian.Uint16(p) & 0x03ff)
		if n < 6 || n > len(p) {
			return nil, fingerprint.ErrNoMatch
		}
		vendorID, typ, v := binary.BigEndian.Uint16(p[2:]), binary.BigEndian.Uint16(p[4:]), p[6:n]
		switch {
		case i == 0 && (vendorID != 0 || typ != avpMessageType || len(v) != 2):
			return nil, fingerprint.ErrNoMatch
		case i == 0:
			msgType = int(binary.BigEndian.Uint16(v))
		case vendorID != 0:
		case typ == avpHostName && banner.IsText(v) && len(v) <= 64:
			host = string(v)
		case typ == avpVendorName && banner.IsText(v) && len(v) <= 64:
			vendor = string(v)
		case typ == avpFirmware && len(v) == 2:
			firmware = fmt.Sprintf("firmware %#04x", binary.BigEndian.Uint16(v))
		}
		p = p[n:]
	}
	if msgType != sccrp && msgType != stopCCN {
		return nil, fingerprint.ErrNoMatch
	}
	var info []string
	if msgType == stopCCN {
		info = append(info, "refused (StopCCN)")
	}
	if host != "" {
		info = append(info, "host "+host)
	}
	switch {
	case vendor == "xelerance.com":
		svc.Product = "xl2tpd"
		svc.CPE = []string{fingerprint.CPE("xelerance", "xl2tpd", "")}
	case vendor != "":
		info = append(info, "vendor "+vendor)
	}
	if firmware != "" {
		info = append(info, firmware)
	}
	svc.ExtraInfo = strings.Join(info, "; ")
	return svc, nil
}

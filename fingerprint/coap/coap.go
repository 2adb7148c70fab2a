// Package coap recognises CoAP servers (RFC 7252) over UDP by a
// confirmable GET of the root resource: a server answers with an
// acknowledgement carrying a response code (2.05 Content, 4.04 Not
// Found) and our token, or with a reset naming our message ID. The
// root resource of libcoap's servers names libcoap.
package coap

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/internal/banner"
	"github.com/ajarsec/ajar/record"
)

const (
	name = "coap"
	port = 5683
	// msgID and token are ours: the answer carries them back.
	msgID = 0x616a
	token = "aj"
)

func init() {
	fingerprint.RegisterUDP(fingerprint.UDPProbe{Name: name, Ports: []uint16{port}, Datagrams: [][]byte{Request},
		Rarity: 6}, Parse)
}

// Request is version 1, confirmable, token length 2, code 0.01 (GET), our
// message ID and token, and no options: the root resource.
var Request = []byte{0x42, 0x01, msgID >> 8, msgID & 0xff, token[0], token[1]}

// Parse reads the answer to Request.
func Parse(b []byte) (*record.Service, error) {
	if len(b) < 4 || b[0]>>6 != 1 || int(b[2])<<8|int(b[3]) != msgID {
		return nil, fingerprint.ErrNoMatch
	}
	typ, tkl, code := b[0]>>4&3, int(b[0]&0x0f), b[1]
	svc := &record.Service{Name: name, Confidence: 10}
	switch {
	case typ == 3 && tkl == 0 && code == 0 && len(b) == 4: // reset: CoAP, but GET refused
		svc.ExtraInfo = "reset"
		return svc, nil
	case typ != 2 || tkl != len(token) || len(b) < 4+tkl || string(b[4:4+tkl]) != token || code>>5 < 2:
		return nil, fingerprint.ErrNoMatch
	}
	svc.ExtraInfo = fmt.Sprintf("%d.%02d", code>>5, code&0x1f)
	if _, payload, ok := bytes.Cut(b[4+tkl:], []byte{0xff}); ok && strings.Contains(string(payload), "libcoap") {
		svc.Product = "libcoap"
		svc.CPE = []string{fingerprint.CPE("libcoap", "libcoap", "")}
	} else if ok && len(payload) > 0 {
		line, _, _ := bytes.Cut(payload, []byte("\n"))
		if s := strings.TrimSpace(string(line[:min(len(line), 80)])); banner.IsText(s) {
			svc.ExtraInfo = banner.JoinInfo(svc.ExtraInfo, s)
		}
	}
	return svc, nil
}

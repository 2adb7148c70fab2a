// Package modbus recognises Modbus/TCP servers (PLCs, gateways, meters)
// by Read Device Identification (function 43, MEI type 14, section 6.21
// of the MODBUS Application Protocol Specification V1.1b3), framed in the
// MBAP header of the MODBUS Messaging on TCP/IP Implementation Guide. The
// server answers with its vendor name, product code and revision, or
// with an exception (function 0xAB) when it does not implement the
// function: either is named, for it echoes our transaction identifier in
// a header whose length field counts the bytes that follow it.
package modbus

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

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "modbus", Proto: portspec.TCP, Ports: []uint16{502}, Rarity: 8}
}

const (
	// transaction is the transaction identifier of the request: the
	// answer must carry it back.
	transaction = 0x616a
	// unit is the unit identifier the implementation guide asks for on
	// TCP, where the IP address names the server.
	unit    = 0xff
	mbapLen = 7
	// fnDeviceID is Encapsulated Interface Transport; meiDeviceID is
	// its Read Device Identification.
	fnDeviceID  = 0x2b
	meiDeviceID = 0x0e
	maxAnswer   = 512
)

// Request is Read Device Identification, basic (code 1), from object 0,
// in an MBAP header.
func Request() []byte {
	return []byte{transaction >> 8, transaction & 0xff, 0, 0, 0, 5, unit, fnDeviceID, meiDeviceID, 1, 0}
}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := ask.Exchange(c, Request(), whole, maxAnswer)
	if err != nil {
		return nil, err
	}
	return Parse(b)
}

// whole is a ReadUntil test: the MBAP length says the answer is all
// there.
func whole(b []byte) bool {
	return len(b) >= mbapLen-1 && len(b) >= 6+int(binary.BigEndian.Uint16(b[4:6]))
}

// exceptions are the exception codes of section 7 of the specification.
var exceptions = map[byte]string{
	1: "illegal function", 2: "illegal data address", 3: "illegal data value", 4: "server device failure",
	5: "acknowledge", 6: "server device busy", 8: "memory parity error", 0x0a: "gateway path unavailable",
	0x0b: "gateway target device failed to respond",
}

// Parse reads the answer to Request: an MBAP header with our transaction
// identifier, protocol 0 and the length of what follows, then a device
// identification or an exception.
func Parse(b []byte) (*record.Service, error) {
	if len(b) < mbapLen+2 || binary.BigEndian.Uint16(b) != transaction || binary.BigEndian.Uint16(b[2:]) != 0 {
		return nil, fingerprint.ErrNoMatch
	}
	n := int(binary.BigEndian.Uint16(b[4:6]))
	if n < 3 || len(b) != 6+n {
		return nil, fingerprint.ErrNoMatch
	}
	pdu := b[mbapLen:]
	svc := &record.Service{Name: "modbus", Confidence: 10}
	switch pdu[0] {
	case fnDeviceID | 0x80:
		why, ok := exceptions[pdu[1]]
		if !ok || len(pdu) != 2 {
			return nil, fingerprint.ErrNoMatch
		}
		svc.ExtraInfo = "device identification: " + why
		return svc, nil
	case fnDeviceID:
		objs, err := parseObjects(pdu)
		if err != nil {
			return nil, err
		}
		describe(svc, objs)
		return svc, nil
	}
	return nil, fingerprint.ErrNoMatch
}

// parseObjects reads a Read Device Identification response: MEI type,
// code, conformity level, more follows, next object, the number of
// objects, then each object's id, length and value.
func parseObjects(pdu []byte) (map[byte]string, error) {
	if len(pdu) < 7 || pdu[1] != meiDeviceID || pdu[2] < 1 || pdu[2] > 4 ||
		(pdu[4] != 0 && pdu[4] != 0xff) {
		return nil, fingerprint.ErrNoMatch
	}
	objs := make(map[byte]string)
	rest := pdu[7:]
	for i := 0; i < int(pdu[6]); i++ {
		if len(rest) < 2 || len(rest) < 2+int(rest[1]) {
			return nil, fingerprint.ErrNoMatch
		}
		objs[rest[0]] = strings.TrimSpace(string(rest[2 : 2+int(rest[1])]))
		rest = rest[2+int(rest[1]):]
	}
	if len(rest) != 0 {
		return nil, fingerprint.ErrNoMatch
	}
	return objs, nil
}

// describe names the product from the basic objects: 0 vendor name, 1
// product code, 2 major and minor revision (and 4, product name, when a
// regular identification came with them).
func describe(svc *record.Service, objs map[byte]string) {
	vendor, code, rev, name := clean(objs[0]), clean(objs[1]), clean(objs[2]), clean(objs[4])
	product := strings.TrimSpace(vendor + " " + code)
	if name != "" {
		product = strings.TrimSpace(vendor + " " + name)
	}
	svc.Product, svc.Version = product, strings.TrimPrefix(strings.TrimPrefix(rev, "V"), "v")
	if code != "" && name != "" {
		svc.ExtraInfo = "product code " + code
	}
	if vendor != "" && (code != "" || name != "") {
		model := code
		if name != "" {
			model = name
		}
		svc.CPE = []string{fingerprint.CPEPart("h", vendor, model, "")}
	}
	if product == "" {
		svc.ExtraInfo = fmt.Sprintf("device identification with %d objects", len(objs))
	}
}

// clean keeps a value that is text, up to 64 bytes.
func clean(s string) string {
	if !banner.IsText(s) {
		return ""
	}
	if len(s) > 64 {
		s = s[:64]
	}
	return s
}

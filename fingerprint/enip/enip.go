// Package enip recognises EtherNet/IP devices (CIP over TCP, ODVA's
// "EtherNet/IP Adaptation of CIP", volume 2) by the ListIdentity command
// of the encapsulation protocol: the answer carries our sender context
// back and one CIP Identity item (type 0x0C) with the vendor, product
// code, revision and product name.
package enip

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
	return fingerprint.Info{Name: "enip", Proto: portspec.TCP, Ports: []uint16{44818}, Rarity: 8}
}

const (
	cmdListIdentity = 0x63
	headerLen       = 24
	itemIdentity    = 0x0c
	// identityFixed is the CIP Identity item up to the product name:
	// protocol version, socket address, vendor, device type, product
	// code, revision, status, serial number.
	identityFixed = 2 + 16 + 2 + 2 + 2 + 2 + 2 + 4
	maxAnswer     = 1024
)

// context is the sender context of the request, which the answer must
// carry back.
var senderContext = [8]byte{'a', 'j', 'a', 'r', 0, 0, 0, 1}

// Request is the ListIdentity encapsulation header: command 0x63, no
// data, session 0, status 0, our sender context, options 0.
func Request() []byte {
	b := make([]byte, headerLen)
	binary.LittleEndian.PutUint16(b, cmdListIdentity)
	copy(b[12:20], senderContext[:])
	return b
}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := ask.Exchange(c, Request(), whole, maxAnswer)
	if err != nil {
		return nil, err
	}
	return Parse(b)
}

// whole is a ReadUntil test: the header's length says the answer is all
// there.
func whole(b []byte) bool {
	return len(b) >= headerLen && len(b) >= headerLen+int(binary.LittleEndian.Uint16(b[2:]))
}

// Identity is what a CIP Identity item tells.
type Identity struct {
	Vendor, DeviceType, ProductCode uint16
	Major, Minor                    byte
	Serial                          uint32
	ProductName                     string
}

// Parse reads the answer to Request: a ListIdentity header with status
// 0 and our sender context, then a list of items whose first is a whole
// CIP Identity item.
func Parse(b []byte) (*record.Service, error) {
	id, err := ParseIdentity(b)
	if err != nil {
		return nil, err
	}
	svc := &record.Service{Name: "enip", Confidence: 10, Product: id.ProductName,
		Version: fmt.Sprintf("%d.%03d", id.Major, id.Minor)}
	vendor := vendors[id.Vendor]
	info := fmt.Sprintf("vendor %d", id.Vendor)
	if vendor != "" {
		info = vendor
		if id.ProductName != "" {
			svc.CPE = []string{fingerprint.CPEPart("h", vendor, id.ProductName, "")}
		}
	}
	svc.ExtraInfo = fmt.Sprintf("%s; device type %d; product code %d; serial %08x", info, id.DeviceType, id.ProductCode, id.Serial)
	return svc, nil
}

// ParseIdentity reads the identity item of a ListIdentity answer.
func ParseIdentity(b []byte) (*Identity, error) {
	if len(b) < headerLen+2 || binary.LittleEndian.Uint16(b) != cmdListIdentity ||
		binary.LittleEndian.Uint32(b[8:]) != 0 || string(b[12:20]) != string(senderContext[:]) {
		return nil, fingerprint.ErrNoMatch
	}
	data := b[headerLen:]
	if len(data) != int(binary.LittleEndian.Uint16(b[2:])) {
		return nil, fingerprint.ErrNoMatch
	}
	count := binary.LittleEndian.Uint16(data)
	if count < 1 || len(data) < 6 || binary.LittleEndian.Uint16(data[2:]) != itemIdentity {
		return nil, fingerprint.ErrNoMatch
	}
	item := data[6:]
	n := int(binary.LittleEndian.Uint16(data[4:]))
	if n < identityFixed+2 || len(item) < n {
		return nil, fingerprint.ErrNoMatch
	}
	item = item[:n]
	nameLen := int(item[identityFixed])
	// The product name (a SHORT_STRING), then the state byte.
	if identityFixed+1+nameLen+1 != n {
		return nil, fingerprint.ErrNoMatch
	}
	name := string(item[identityFixed+1 : identityFixed+1+nameLen])
	if !banner.IsText(name) {
		return nil, fingerprint.ErrNoMatch
	}
	le := binary.LittleEndian
	return &Identity{
		Vendor: le.Uint16(item[18:]), DeviceType: le.Uint16(item[20:]), ProductCode: le.Uint16(item[22:]),
		Major: item[24], Minor: item[25], Serial: le.Uint32(item[28:]), ProductName: strings.TrimSpace(name),
	}, nil
}

// vendors are ODVA vendor identifiers whose names are sure; others are
// shown as their number.
var vendors = map[uint16]string{
	1:   "Rockwell Automation",
	356: "Fanuc Robotics America",
}

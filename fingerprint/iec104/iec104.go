// Package iec104 recognises IEC 60870-5-104 stations (telecontrol of
// power grids) by the test procedure of the standard's U format (clause
// 5.3): the client sends TESTFR act (68 04 43 00 00 00), and a station
// answers TESTFR con (68 04 83 00 00 00), whether or not data transfer
// was started. Nothing else is sent: no STARTDT, no command.
package iec104

import (
	"bytes"
	"context"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/internal/ask"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "iec-104", Proto: portspec.TCP, Ports: []uint16{2404}, Rarity: 8}
}

// The U format APDUs of the test procedure: start byte 0x68, length 4,
// and the four control octets.
var (
	testAct = []byte{0x68, 4, 0x43, 0, 0, 0}
	testCon = []byte{0x68, 4, 0x83, 0, 0, 0}
)

// Request is TESTFR act.
func Request() []byte { return bytes.Clone(testAct) }

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := ask.Exchange(c, Request(), fingerprint.UntilLen(len(testCon)), 256)
	if err != nil {
		return nil, err
	}
	return Parse(b)
}

// Parse reads the answer to TESTFR act: TESTFR con, alone or before
// other APDUs.
func Parse(b []byte) (*record.Service, error) {
	if !bytes.HasPrefix(b, testCon) {
		return nil, fingerprint.ErrNoMatch
	}
	return &record.Service{Name: "iec-104", Confidence: 10, ExtraInfo: "TESTFR confirmed"}, nil
}

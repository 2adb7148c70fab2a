package dnp3

import (
	"bytes"
	"encoding/hex"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// A link status exchange as a public DNP3 master's tests record it: the
// master (address 1) asks outstation 1234, which answers.
const (
	masterAsks        = "056405C9D2040100A4E4"
	outstationAnswers = "0564050B0100D204AD34"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCRC(t *testing.T) {
	if got := Frame(0xc9, 1234, 1); !bytes.Equal(got, unhex(t, masterAsks)) {
		t.Errorf("Frame = %x, want %s", got, masterAsks)
	}
	if got := Frame(0x0b, 1, 1234); !bytes.Equal(got, unhex(t, outstationAnswers)) {
		t.Errorf("Frame = %x, want %s", got, outstationAnswers)
	}
}

func TestParse(t *testing.T) {
	svc := fptest.CheckParse(t, "Parse", Parse, unhex(t, outstationAnswers))
	if svc == nil || svc.ExtraInfo != "outstation address 1234; link status" {
		t.Errorf("got %+v", svc)
	}
	badCRC := unhex(t, outstationAnswers)
	badCRC[9]++
	fptest.NoMatch(t, "Parse", Parse, "", string(Request()), // our requests, echoed
		string(unhex(t, masterAsks)), string(badCRC), string(unhex(t, outstationAnswers)[:9]),
		string(Frame(0x0b, 7, 1234)), // to another master
		string(Frame(0x03, 1, 1234)), // no secondary function 3
		"HTTP/1.1 400 Bad Request\r\n\r\n")
}

func FuzzParse(f *testing.F) {
	f.Add(unhex(f, outstationAnswers))
	f.Add(Request())
	f.Fuzz(func(t *testing.T, b []byte) { fptest.CheckParse(t, "Parse", Parse, b) })
}

// outstation answers the link status request for its address, and
// ignores the others.
func outstation(addr uint16) func(net.Conn) {
	return func(c net.Conn) {
		buf := make([]byte, headerLen)
		for {
			if _, err := io.ReadFull(c, buf); err != nil {
				return
			}
			if uint16(buf[4])|uint16(buf[5])<<8 == addr {
				c.Write(Frame(0x0b, uint16(buf[6])|uint16(buf[7])<<8, addr))
			}
		}
	}
}

func TestIdentifyLive(t *testing.T) {
	for _, addr := range outstations {
		fptest.MustMatch(t, plugin{}, fptest.Serve(t, outstation(addr)))
	}
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, outstation(77)))
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, func(c net.Conn) { io.Copy(c, c) }))
}

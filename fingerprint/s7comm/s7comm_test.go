package s7comm

import (
	"bytes"
	"encoding/hex"
	"io"
	"net"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// Frames of the snap7 server (its C library, driven from Python), as a
// public S7 library's golden table records them: the Connection Confirm
// for rack 0 slot 1, the acknowledgement of a setup job with PDU
// reference 0, and the SZL 0x0011 answer with PDU reference 0x0f00 (snap7 keeps the
// client's bytes as they came).
const (
	snap7CC    = "0300001611d00001000100c0010ac1020100c2020101"
	snap7Setup = "0300001b02f080320300000000000800000000f0000001000101e0"
	snap7SZL   = "0300009902f080320700000f00000c007c000112081284010000000000ff09007800110000001c0004" +
		"000136455337203331352d32454831342d304142302000c00004000100063645533720333135" +
		"2d32454831342d304142302000c0000400010007202020202020202020202020202020202020" +
		"202000c0560302060081426f6f74204c6f61646572202020202020202020000041200909"
	// a Disconnect Request: the TSAP is not the PLC's.
	disconnect = "0300000b068000010001" + "00"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// withRef sets the PDU reference of an S7 frame.
func withRef(b []byte, r uint16) []byte {
	b = bytes.Clone(b)
	b[11], b[12] = byte(r>>8), byte(r)
	return b
}

func TestParse(t *testing.T) {
	if code, err := ParseTPDU(unhex(t, snap7CC)); err != nil || code != cotpCC {
		t.Errorf("ParseTPDU(cc) = %#x, %v", code, err)
	}
	dr := unhex(t, disconnect)
	dr[3] = byte(len(dr))
	if code, err := ParseTPDU(dr); err != nil || code != cotpDR {
		t.Errorf("ParseTPDU(dr) = %#x, %v", code, err)
	}
	svc, err := parseSetup(unhex(t, snap7Setup), 0)
	if err != nil || svc.Name != "s7comm" || svc.ExtraInfo != "PDU size 480" {
		t.Errorf("parseSetup = %+v, %v", svc, err)
	}
	m, err := parseSZL(unhex(t, snap7SZL), 0x0f00)
	if err != nil || m.OrderNumber != "6ES7 315-2EH14-0AB0" || m.Firmware != "3.2.6" {
		t.Fatalf("parseSZL = %+v, %v", m, err)
	}
	describe(svc, m)
	if svc.Version != "3.2.6" || svc.ExtraInfo != "order number 6ES7 315-2EH14-0AB0; PDU size 480" ||
		svc.CPE[0] != "cpe:2.3:h:siemens:6es7_315-2eh14-0ab0:*:*:*:*:*:*:*:*" {
		t.Errorf("described %+v", svc)
	}
	// Another PDU reference, a job instead of an acknowledgement, a
	// request echoed, a short packet: none is S7comm's answer.
	fptest.NoMatch(t, "ParseSetup", ParseSetup, snap7Setup, string(SetupRequest()),
		string(unhex(t, snap7Setup)[:26]), string(ConnectionRequest(0x102)), "HTTP/1.1 400 Bad Request\r\n\r\n")
	fptest.NoMatch(t, "ParseSZL", ParseSZL, string(unhex(t, snap7SZL)), string(SZLRequest()))
	for _, b := range [][]byte{ConnectionRequest(0x102), unhex(t, snap7CC)[:20], []byte("\x03\x00\x00\x07abc")} {
		if _, err := ParseTPDU(b); err == nil {
			t.Errorf("ParseTPDU(%x) matched", b)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(unhex(f, snap7CC))
	f.Add(withRef(unhex(f, snap7Setup), ref))
	f.Add(withRef(unhex(f, snap7SZL), szlRef))
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "ParseSetup", ParseSetup, b)
		fptest.CheckParse(t, "ParseSZL", ParseSZL, b)
		ParseTPDU(b)
		whole(b)
	})
}

// plc plays snap7's answers: it confirms a connection to a TSAP in
// accept, refuses others, and answers the setup job and the SZL read
// with our PDU references.
func plc(t *testing.T, accept uint16) func(net.Conn) {
	return func(c net.Conn) {
		buf := make([]byte, 256)
		for {
			n, err := io.ReadAtLeast(c, buf, 4)
			if err != nil {
				return
			}
			switch req := buf[:n]; {
			case req[5] == 0xe0 && uint16(req[20])<<8|uint16(req[21]) == accept:
				c.Write(unhex(t, snap7CC))
			case req[5] == 0xe0:
				dr := unhex(t, disconnect)
				dr[3] = byte(len(dr))
				c.Write(dr)
				return
			case req[8] == 1:
				c.Write(withRef(unhex(t, snap7Setup), ref))
			case req[8] == 7:
				c.Write(withRef(unhex(t, snap7SZL), szlRef))
			}
		}
	}
}

func TestIdentifyLive(t *testing.T) {
	for _, tsap := range tsaps {
		svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, plc(t, tsap)))
		if svc.Version != "3.2.6" {
			t.Errorf("TSAP %#x: got %+v", tsap, svc)
		}
	}
	// A server that confirms any connection and then echoes (as an RDP
	// server would not answer an S7 job either) is not a PLC.
	confirmOnly := func(c net.Conn) {
		c.Read(make([]byte, 64))
		c.Write(unhex(t, snap7CC))
		io.Copy(c, c)
	}
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, confirmOnly))
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, plc(t, 0x999)))
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, func(c net.Conn) { io.Copy(c, c) }))
}

package kerberos

import (
	"encoding/binary"
	"encoding/hex"
	"net"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// notFound is MIT krb5kdc 1.20.1's (Debian 12) KRB-ERROR to ASReq.
var notFound, _ = hex.DecodeString("7e8196308193a003020105a10302011ea411180f32303236313230343230343531395aa505020" +
	"30e4f2fa603020106a70e1b0c414a41522e494e56414c4944a811300fa003020101a10830061b04616a6172a90e1b0c414a41522e494e" +
	"56414c4944aa21301fa003020102a11830161b066b72627467741b0c414a41522e494e56414c4944ab121b10434c49454e545f4e4f545f" +
	"464f554e44")

func TestParse(t *testing.T) {
	if svc := fptest.CheckParse(t, "Parse", Parse, notFound); svc.ExtraInfo != "error 6 CLIENT_NOT_FOUND" {
		t.Errorf("got %+v", svc)
	}
	if got := hex.EncodeToString(ASReq()); got != "6a8185308182a103020105a20302010aa4763074a00703050050000000a111300fa0030201"+
		"01a10830061b04616a6172a20e1b0c414a41522e494e56414c4944a321301fa003020102a11830161b066b72627467741b0c414a41522e"+
		"494e56414c4944a511180f32303337303931333032343830355aa7060204616a6172a8083006020112020111" {
		t.Errorf("ASReq %s", got)
	}
	bad := append([]byte{}, notFound...)
	bad[9] = 4 // pvno 4
	fptest.NoMatch(t, "Parse", Parse, string(notFound[:50]), string(bad), string(ASReq()), "\x7e\x00", "\x30\x03\x02\x01\x05")
}

func TestIdentify(t *testing.T) {
	tcp := fptest.Serve(t, func(c net.Conn) {
		var n [4]byte
		if _, err := c.Read(n[:]); err != nil {
			return
		}
		c.Write(append(binary.BigEndian.AppendUint32(nil, uint32(len(notFound))), notFound...))
	})
	fptest.MustMatch(t, plugin{}, tcp)
	udp := fptest.ServeUDP(t, func(b []byte) []byte {
		if string(b) == string(ASReq()) {
			return notFound
		}
		return nil
	})
	fptest.MustMatch(t, fptest.UDPPlugin(t, name), udp)
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, fptest.Reply([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"), 4)))
}

func FuzzParse(f *testing.F) {
	f.Add(notFound)
	f.Fuzz(func(t *testing.T, b []byte) { Parse(b) })
}

package fins

import (
	"encoding/hex"
	"io"
	"net"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// An Omron CP1L-EM40DR-D's answers over FINS/TCP, as a public scanner's
// tests record them: the node addresses (client 0xfb, PLC 0x21), and the
// Controller Data Read with model "CP1L-EM40DR-D" and version "01.00".
const (
	cp1lNodes      = "46494e53000000100000000100000000000000fb00000021"
	cp1lController = "46494e53000000720000000200000000c0000200fbef00210005050100004350314c2d454d343044522d44000000" +
		"2020202030312e3030000000000030312e3038000000000000000000000000000000000000000000000000010000" +
		"000000000000000000000000000000010100001417800008000000000000"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParse(t *testing.T) {
	n := fptest.CheckParse(t, "ParseNodes", ParseNodes, unhex(t, cp1lNodes))
	if n == nil || n.Client != 0xfb || n.Server != 0x21 || n.Error != 0 {
		t.Errorf("ParseNodes = %+v", n)
	}
	model, version, err := ParseController(unhex(t, cp1lController))
	if err != nil || model != "CP1L-EM40DR-D" || version != "01.00" {
		t.Errorf("ParseController = %q, %q, %v", model, version, err)
	}
	refused := []byte("FINS\x00\x00\x00\x08\x00\x00\x00\x03\x00\x00\x00\x21")
	if n, err := ParseNodes(refused); err != nil || n.Error != 0x21 {
		t.Errorf("ParseNodes(refused) = %+v, %v", n, err)
	}
	fptest.NoMatch(t, "ParseNodes", ParseNodes, "", string(NodeRequest()), string(unhex(t, cp1lNodes)[:23]),
		string(append(unhex(t, cp1lNodes), 0)), "FINT"+string(unhex(t, cp1lNodes)[4:]), "HTTP/1.1 400 Bad Request\r\n\r\n")
	if _, _, err := ParseController(ControllerDataRead(0xfb, 0x21)); err == nil {
		t.Error("ParseController took our request")
	}
}

func FuzzParse(f *testing.F) {
	f.Add(unhex(f, cp1lNodes))
	f.Add(unhex(f, cp1lController))
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "ParseNodes", ParseNodes, b)
		ParseController(b)
		whole(b)
	})
}

// plc answers the node request, then the controller data read.
func plc(t *testing.T) func(net.Conn) {
	return func(c net.Conn) {
		buf := make([]byte, 64)
		if _, err := io.ReadFull(c, buf[:20]); err != nil {
			return
		}
		c.Write(unhex(t, cp1lNodes))
		if _, err := io.ReadFull(c, buf[:len(ControllerDataRead(0, 0))]); err != nil {
			return
		}
		c.Write(unhex(t, cp1lController))
		io.Copy(io.Discard, c)
	}
}

func TestIdentifyLive(t *testing.T) {
	svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, plc(t)))
	if svc.Product != "Omron CP1L-EM40DR-D" || svc.Version != "01.00" || svc.ExtraInfo != "PLC node 33" {
		t.Errorf("got %+v", svc)
	}
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, func(c net.Conn) { io.Copy(c, c) }))
	fptest.MustNotMatch(t, plugin{}, fptest.HangUp(t))
}

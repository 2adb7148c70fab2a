package iec104

import (
	"io"
	"net"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// The U format frames of IEC 60870-5-104 clause 5.3, as stations send
// them: TESTFR con, and STARTDT con (an answer to another request).
const (
	testfrCon  = "\x68\x04\x83\x00\x00\x00"
	startdtCon = "\x68\x04\x0b\x00\x00\x00"
)

func TestParse(t *testing.T) {
	if svc := fptest.CheckParse(t, "Parse", Parse, []byte(testfrCon)); svc == nil || svc.Name != "iec-104" {
		t.Errorf("got %+v", svc)
	}
	fptest.NoMatch(t, "Parse", Parse, "", string(Request()), startdtCon, testfrCon[:5], "HTTP/1.1 400 Bad Request\r\n\r\n")
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(testfrCon))
	f.Fuzz(func(t *testing.T, b []byte) { fptest.CheckParse(t, "Parse", Parse, b) })
}

func TestIdentifyLive(t *testing.T) {
	fptest.MustMatch(t, plugin{}, fptest.Serve(t, fptest.Reply([]byte(testfrCon), len(testAct))))
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, func(c net.Conn) { io.Copy(c, c) }))
	fptest.MustNotMatch(t, plugin{}, fptest.HangUp(t))
}

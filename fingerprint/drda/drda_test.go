package drda

import (
	"encoding/hex"
	"io"
	"net"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// derby10142 is the EXCSATRD of Apache Derby 10.14.2.0's network server
// (Debian 12's libderby-java and derby-tools, on loopback in a
// namespace), in hex as it came: class "Apache Derby", server
// "NetworkServerControl", release "CSS10140/10.14.2.0 - (???)".
const derby10142 = "0085d0020001007f1443001d115ed585a3a6969992e28599a58599c39695a39996934094818995001814041403000724070007240f0007144000071474000500101147c1978183888540c4859982a80018116dd585a3a6969992e28599a58599c39695a3999693001e115ac3e2e2f1f0f1f4f061f1f04bf1f44bf24bf04060404d6f6f6f5d"

func unhex(s string) string {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// db2 is an EXCSATRD as a Db2 11.5.5 server on Linux lays it out (DRDA
// volume 3): class "QDB2/LINUXX8664", release "SQL11055".
var db2 = func() string {
	body := param(cpSRVCLSNM, toEBCDIC("QDB2/LINUXX8664"))
	body = append(body, param(cpSRVRLSLV, toEBCDIC("SQL11055"))...)
	ddm := param(cpEXCSATRD, body)
	dss := append([]byte{0, byte(len(ddm) + 6), dssMagic, dssReply, 0, 1}, ddm...)
	return string(dss)
}()

var others = []string{
	"",
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\n\r\n",
	"\x15\x03\x01\x00\x02\x02\x50",
	unhex(derby10142)[:50],
	unhex(derby10142) + "\x00",
	string(ExcSAT()),                                       // an echo: a request DSS holding EXCSAT
	"\x00\x0a\xd0\x02\x00\x01\x00\x04\x12\x45",             // another reply
	"\x00\x0e\xd0\x02\x00\x01\x00\x08\x14\x43\x00\x09\x11", // a parameter past the end
	"\x00\x0a\xd0\x02\x00\x07\x00\x04\x14\x43",             // another correlation
}

func TestParse(t *testing.T) {
	svc, err := Parse([]byte(unhex(derby10142)))
	if err != nil || svc.Product != "Apache Derby" || svc.Version != "10.14.2.0" ||
		svc.ExtraInfo != "class Apache Derby; release CSS10140/10.14.2.0 - (???); server NetworkServerControl" ||
		svc.CPE[0] != "cpe:2.3:a:apache:derby:10.14.2.0:*:*:*:*:*:*:*" {
		t.Errorf("derby: %+v, %v", svc, err)
	}
	if svc, err = Parse([]byte(db2)); err != nil || svc.Product != "IBM Db2" || svc.Version != "11.5.5" {
		t.Errorf("db2: %+v, %v", svc, err)
	}
	fptest.NoMatch(t, "Parse", Parse, others...)
}

func TestExcSAT(t *testing.T) {
	// The same bytes a Python client built from the DDM reference sent
	// to Derby for the capture above.
	want := "0042d0010001003c10410008115e81918199001814041403000724070007240f0007144000071474000500081147819181990008116d819181990008115a81918199"
	if got := hex.EncodeToString(ExcSAT()); got != want {
		t.Errorf("ExcSAT() = %s, want %s", got, want)
	}
	if got := fromEBCDIC(toEBCDIC("QDB2/LINUXX8664 1.0")); got != "QDB2/LINUXX8664 1.0" {
		t.Errorf("EBCDIC round trip: %q", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range append([]string{unhex(derby10142), db2}, others...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
		dssDone(b)
	})
}

func server(c net.Conn) {
	if _, err := io.ReadFull(c, make([]byte, len(ExcSAT()))); err != nil {
		return
	}
	ans := unhex(derby10142)
	c.Write([]byte(ans[:7]))
	c.Write([]byte(ans[7:]))
	io.Copy(io.Discard, c)
}

func TestIdentifyLive(t *testing.T) {
	svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, server))
	if svc.Version != "10.14.2.0" {
		t.Errorf("got %+v", svc)
	}
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, fptest.Reply([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"), 8)))
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, func(c net.Conn) { io.Copy(c, c) }))
	fptest.MustNotMatch(t, plugin{}, fptest.Silent(t))
}

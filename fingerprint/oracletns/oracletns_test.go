package oracletns

import (
	"encoding/binary"
	"io"
	"net"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// refuse11g is the REFUSE of an Oracle 11.2 listener asked for a service
// it does not know (TNS-12514), as the listener sends it: header (length
// 0x67, type 4), user and system reason (0x22, 0), data length 0x5b and
// the descriptor with VSNNUM 186647552.
const refuse11g = "\x00\x67\x00\x00\x04\x00\x00\x00\x22\x00\x00\x5b" +
	"(DESCRIPTION=(TMP=)(VSNNUM=186647552)(ERR=12514)(ERROR_STACK=(ERROR=(CODE=12514)(EMFI=4))))"

// accept314 is an ACCEPT of protocol 314 (0x13a), SDU 8192, TDU 65535,
// no connect data, as the Oracle Net Services reference lays it out.
const accept314 = "\x00\x20\x00\x00\x02\x00\x00\x00" +
	"\x01\x3a\x00\x00\x20\x00\xff\xff\x01\x00\x00\x00\x00\x20\x41\x41\x00\x00\x00\x00\x00\x00\x00\x00"

// redirect is a REDIRECT to another port, as a shared-server dispatcher
// answers.
var redirect = func() string {
	d := "(ADDRESS=(PROTOCOL=tcp)(HOST=10.0.0.5)(PORT=40211))"
	b := binary.BigEndian.AppendUint16([]byte{0, 0, 0, 0, typeRedirect, 0, 0, 0}, uint16(len(d)))
	b = append(b, d...)
	binary.BigEndian.PutUint16(b, uint16(len(b)))
	return string(b)
}()

var others = []string{
	"",
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\n\r\n",
	"\x15\x03\x01\x00\x02\x02\x50",
	refuse11g[:40],
	refuse11g + "x",                                             // length field disagrees
	"\x00\x0c\x00\x00\x04\x00\x00\x00\x22\x00\x00\x00",          // refuse without data
	"\x00\x12\x00\x00\x04\x00\x00\x00\x00\x00\x00\x06hello!",    // refuse data not TNS's
	"\x00\x20\x00\x00\x02\x00\x00\x00\x02\x00" + accept314[10:], // accept of a version never offered
	"\x00\x20\x00\x00\x07\x00\x00\x00" + accept314[8:],          // another type
	"\x00\x10\x00\x00\x05\x00\x00\x00\x00\x20(ADDRESS=",         // redirect cut short
	string(Connect()),                                           // an echo
}

func TestParse(t *testing.T) {
	svc, err := Parse([]byte(refuse11g))
	if err != nil || svc.Version != "11.2.0.4.0" || svc.ExtraInfo != "refused: TNS-12514" ||
		svc.CPE[0] != "cpe:2.3:a:oracle:database_server:11.2.0.4:*:*:*:*:*:*:*" {
		t.Errorf("refuse: %+v, %v", svc, err)
	}
	if svc, err = Parse([]byte(accept314)); err != nil || svc.ExtraInfo != "accepted; TNS protocol 314" || svc.Version != "" {
		t.Errorf("accept: %+v, %v", svc, err)
	}
	if svc, err = Parse([]byte(redirect)); err != nil || svc.ExtraInfo != "redirect to (ADDRESS=(PROTOCOL=tcp)(HOST=10.0.0.5)(PORT=40211))" {
		t.Errorf("redirect: %+v, %v", svc, err)
	}
	fptest.NoMatch(t, "Parse", Parse, others...)
	for in, want := range map[string]string{"318767104": "19.0.0.0.0", "153092352": "9.2.0.1.0"} {
		if v, ok := Version(in); !ok || v != want {
			t.Errorf("Version(%s) = %q, want %q", in, v, want)
		}
	}
}

func TestConnect(t *testing.T) {
	b := Connect()
	if int(binary.BigEndian.Uint16(b)) != len(b) || b[4] != typeConnect ||
		string(b[connectDataOffset:]) != connectData || int(binary.BigEndian.Uint16(b[24:])) != len(connectData) {
		t.Errorf("Connect() = %q", b)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range append([]string{refuse11g, accept314, redirect}, others...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
		packetDone(b)
	})
}

// listener plays a listener: it reads a CONNECT, asks for it again once
// with RESEND when resend is set, then refuses it in two pieces.
func listener(resend bool) func(net.Conn) {
	return func(c net.Conn) {
		for {
			h := make([]byte, headerLen)
			if _, err := io.ReadFull(c, h); err != nil || h[4] != typeConnect {
				return
			}
			if _, err := io.ReadFull(c, make([]byte, int(binary.BigEndian.Uint16(h))-headerLen)); err != nil {
				return
			}
			if resend {
				resend = false
				c.Write([]byte("\x00\x08\x00\x00\x0b\x00\x00\x00"))
				continue
			}
			c.Write([]byte(refuse11g[:10]))
			c.Write([]byte(refuse11g[10:]))
		}
	}
}

func TestIdentifyLive(t *testing.T) {
	for _, resend := range []bool{false, true} {
		svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, listener(resend)))
		if svc.Name != "oracle-tns" || svc.Version != "11.2.0.4.0" {
			t.Errorf("resend %v: got %+v", resend, svc)
		}
	}
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, fptest.Reply([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"), 8)))
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, func(c net.Conn) { io.Copy(c, c) }))
	fptest.MustNotMatch(t, plugin{}, fptest.Silent(t))
}

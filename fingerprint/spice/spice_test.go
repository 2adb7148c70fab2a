package spice

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"io"
	"net"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// serverReply is a SPICE server's answer to a main channel's link, as a
// public client's test quotes it from a real capture: protocol 2.2,
// error 0, its RSA key (162 bytes of DER), one common and one channel
// capability word.
const serverReply = "524544510200000002000000ba00000000000000" +
	"30819f300d06092a864886f70d010101050003818d0030818902818100" +
	"b9a1d7076ec16f272abf3b865c60f9a3bd07511fdc3c8c28dd7b2f" +
	"c9c0d62d731a8c7ccaca6745952581876c5accc35febd445e58805e7" +
	"8dfa0786929cc2bb3b08f34af3853427987aeb4a700590af73ab9083" +
	"5d86bd1bd53eee119f259deb1fdbf94bfd761c10a92a3e822c7ffbe8" +
	"fbce5ee1d06cf98b125f40712cbfd7ffed0203010001" +
	"0100000001000000b20000000b00000009000000"

// clientLink is the same client's link message for the main channel.
const clientLink = "5245445102000000020000001a000000" + "000000000100010000000100000012000000" + "090000000f000000"

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRequest(t *testing.T) {
	if !bytes.Equal(Request(), unhex(t, clientLink)) {
		t.Errorf("Request() = %x", Request())
	}
}

func TestParse(t *testing.T) {
	svc := fptest.CheckParse(t, "Parse", Parse, unhex(t, serverReply))
	if svc == nil || svc.Name != "spice" || svc.ExtraInfo != "protocol 2.2" {
		t.Errorf("got %+v", svc)
	}
	tls := unhex(t, serverReply)
	binary.LittleEndian.PutUint32(tls[16:], 5)
	if svc := fptest.CheckParse(t, "Parse", Parse, tls); svc == nil || svc.ExtraInfo != "protocol 2.2; link needs TLS" {
		t.Errorf("got %+v", svc)
	}
	badCode := unhex(t, serverReply)
	badCode[16] = 77
	badCaps := unhex(t, serverReply)
	badCaps[16+166] = 3
	fptest.NoMatch(t, "Parse", Parse, "", string(Request()), string(unhex(t, serverReply)[:100]),
		string(badCode), string(badCaps), string(append(unhex(t, serverReply), 0)), "REDQ\r\n")
}

func FuzzParse(f *testing.F) {
	f.Add(unhex(f, serverReply))
	f.Add(Request())
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
		whole(b)
	})
}

func TestIdentifyLive(t *testing.T) {
	fptest.MustMatch(t, plugin{}, fptest.Serve(t, fptest.Reply(unhex(t, serverReply), len(Request()))))
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, func(c net.Conn) { io.Copy(c, c) }))
	fptest.MustNotMatch(t, plugin{}, fptest.HangUp(t))
}

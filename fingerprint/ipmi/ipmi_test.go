package ipmi

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// request is Request as sent to ipmi_sim below; capture is ipmi_sim
// (OpenIPMI 2.0.33, Debian 12's lan simulator) answering it on loopback,
// with users of no authentication, MD2, MD5 and password, a null user
// name, and IPMI 1.5 and 2.0.
const (
	request = "0600ff07000000000000000000092018c881a8388e040d"
	capture = "0600ff0700000000000000000010811c6320a8380001970603000000005f"
)

func unhex(t testing.TB, s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// answer builds an answer like capture's with other data bytes (IPMI
// v2.0 §22.13), checksums recomputed.
func answer(cc byte, data ...byte) []byte {
	msg := []byte{swAddr, (netFnApp + 1) << 2, 0, bmcAddr, rqSeq << 2, cmdAuthCaps, cc}
	msg = append(msg, data...)
	msg[2] = checksum(msg[:2])
	msg = append(msg, checksum(msg[3:]))
	return append([]byte{6, 0, 0xff, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, byte(len(msg))}, msg...)
}

func TestRequest(t *testing.T) {
	if got := Request(); !bytes.Equal(got, unhex(t, request)) {
		t.Errorf("% x", got)
	}
}

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in   []byte
		info string
	}{
		{unhex(t, capture), "IPMI 2.0; auth none,MD2,MD5,password; null user names enabled"},
		{answer(0, 1, 0x97, 0x06, 0x03, 0, 0, 0, 0), "IPMI 2.0; auth none,MD2,MD5,password; null user names enabled"},
		// An IPMI 1.5 BMC: no v2.0 data bit, MD5 only, anonymous login,
		// per-message authentication off, Dell's enterprise number.
		{answer(0, 1, 0x04, 0x11, 0, 0xa2, 0x02, 0, 0), "IPMI 1.5; auth MD5; anonymous login enabled; per-message authentication off; OEM 674"},
		{answer(0xcc), "completion code 0xcc"},
	} {
		svc, err := Parse(c.in)
		if err != nil || svc.Name != "ipmi" || svc.ExtraInfo != c.info {
			t.Errorf("% x: %+v, %v; want %q", c.in, svc, err, c.info)
		}
	}
	good := unhex(t, capture)
	edit := func(i int, v byte) string {
		b := bytes.Clone(good)
		b[i] = v
		return string(b)
	}
	fptest.NoMatch(t, "Parse", Parse,
		"",
		string(Request()),                     // echoed: a request to the BMC
		string(good[:len(good)-1]),            // cut
		edit(3, 6),                            // ASF, not IPMI
		edit(13, 0x11),                        // length past the end
		edit(18, 0xac),                        // another sequence number
		edit(19, 0x01),                        // another command
		edit(len(good)-1, 0),                  // bad checksum
		edit(16, 0x64),                        // bad header checksum
		string(answer(0, 1, 0x97)),            // data cut short
		string(answer(0, make([]byte, 9)...)), // data too long
	)
}

func FuzzParse(f *testing.F) {
	f.Add(unhex(f, capture))
	f.Add(answer(0xc1))
	f.Fuzz(func(t *testing.T, b []byte) {
		if svc := fptest.CheckParse(t, "Parse", Parse, b); svc != nil && (len(b) < 20 || b[18] != rqSeq<<2) {
			t.Errorf("% x taken", b)
		}
	})
}

func TestIdentify(t *testing.T) {
	fptest.MustMatch(t, fptest.UDPPlugin(t, name), fptest.ServeUDP(t, func(b []byte) []byte {
		if bytes.Equal(b, Request()) {
			return unhex(t, capture)
		}
		return nil
	}))
	fptest.MustNotMatch(t, fptest.UDPPlugin(t, name), fptest.ServeUDP(t, func(b []byte) []byte { return b }))
}

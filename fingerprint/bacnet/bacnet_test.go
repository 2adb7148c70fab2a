package bacnet

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// bvlc wraps an NPDU and APDU in an Original-Unicast-NPDU BVLC (Annex J).
func bvlc(npduAPDU string) string {
	b := []byte{0x81, 0x0a, 0, 0}
	b = append(b, npduAPDU...)
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	return string(b)
}

// Answers encoded by hand from ASHRAE 135 §15.5.1.3, §20.1, §20.2 and
// §21: device 123's ReadProperty-ACK for model-name "GNU Demo" (a
// CharacterString of extended length), one of a short name "MX4", the
// same ACK routed from network 5 (an NPDU with a source), an Error
// (object, unknown-object), a Reject (unrecognized-service) and an Abort
// from the server (segmentation-not-supported).
var (
	ack       = bvlc("\x01\x00" + "\x30\x61\x0c" + "\x0c\x02\x00\x00\x7b" + "\x19\x46" + "\x3e\x75\x09\x00GNU Demo\x3f")
	ackShort  = bvlc("\x01\x00" + "\x30\x61\x0c" + "\x0c\x02\x00\x00\x7b" + "\x19\x46" + "\x3e\x74\x00MX4\x3f")
	ackRouted = bvlc("\x01\x08\x00\x05\x01\x07" + "\x30\x61\x0c" + "\x0c\x02\x00\x00\x7b" + "\x19\x46" + "\x3e\x74\x00MX4\x3f")
	errAnswer = bvlc("\x01\x00" + "\x50\x61\x0c\x91\x01\x91\x1f")
	reject    = bvlc("\x01\x00" + "\x60\x61\x09")
	abort     = bvlc("\x01\x00" + "\x71\x61\x04")
)

func TestReadModelName(t *testing.T) {
	want := "\x81\x0a\x00\x11\x01\x04\x00\x05\x61\x0c\x0c\x02\x3f\xff\xff\x19\x46"
	if got := string(ReadModelName()); got != want {
		t.Errorf("% x, want % x", got, want)
	}
}

func TestParse(t *testing.T) {
	for _, c := range []struct{ in, product, info string }{
		{ack, "GNU Demo", ""},
		{ackShort, "MX4", ""},
		{ackRouted, "MX4", ""},
		{"\x81\x04\x00\x1d\x0a\x00\x00\x02\xba\xc0" + ackShort[4:], "MX4", ""}, // forwarded by a BBMD
		{errAnswer, "", "ReadProperty refused"},
		{reject, "", "ReadProperty rejected (reason 9)"},
		{abort, "", "ReadProperty rejected (reason 4)"},
	} {
		svc, err := Parse([]byte(c.in))
		if err != nil || svc.Name != "bacnet" || svc.Product != c.product || svc.ExtraInfo != c.info {
			t.Errorf("% x: %+v, %v", c.in, svc, err)
		}
	}
	fptest.NoMatch(t, "Parse", Parse,
		"",
		string(ReadModelName()), // echoed: a confirmed request
		bvlc("\x01\x00"+"\x30\x62\x0c"+ack[9:]),                                                          // another invoke ID
		bvlc("\x01\x00"+"\x30\x61\x0e"+ack[9:]),                                                          // another service
		bvlc("\x01\x00"+"\x30\x61\x0c"+"\x0c\x00\x00\x00\x7b"+ack[14:]),                                  // not a device
		bvlc("\x01\x00"+"\x30\x61\x0c"+"\x0c\x02\x00\x00\x7b"+"\x19\x4d"+ack[16:]),                       // another property
		bvlc("\x01\x00"+"\x30\x61\x0c"+"\x0c\x02\x00\x00\x7b"+"\x19\x46"+"\x3e\x21\x05\x3f"),             // not a string
		bvlc("\x01\x00"+"\x30\x61\x0c"+"\x0c\x02\x00\x00\x7b"+"\x19\x46"+"\x3e\x75\x0a\x00GNU Demo\x3f"), // length past
		ack[:len(ack)-1],                        // cut, the BVLC length wrong
		"\x82"+ack[1:],                          // not BACnet/IP
		ack[:4]+"\x02"+ack[5:],                  // NPDU version 2
		bvlc("\x01\x80\x00"),                    // a network-layer message
		bvlc("\x01\x00"+"\x50\x61\x0c\x91\x01"), // Error without a code
		bvlc("\x01\x00"+"\x60\x62\x09"),         // Reject of another invoke ID
		bvlc("\x01\x00"+"\x20\x61\x0c"),         // SimpleACK: not for ReadProperty
		bvlc("\x01\x20\x00\x05\x09"),            // destination past the end
	)
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{ack, ackRouted, errAnswer, abort} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if svc := fptest.CheckParse(t, "Parse", Parse, b); svc != nil && !bytes.Contains(b, []byte{invokeID}) {
			t.Errorf("% x taken", b)
		}
	})
}

func TestIdentify(t *testing.T) {
	svc := fptest.MustMatch(t, fptest.UDPPlugin(t, name), fptest.ServeUDP(t, func(b []byte) []byte {
		if bytes.Equal(b, ReadModelName()) {
			return []byte(ack)
		}
		return nil
	}))
	if svc.Product != "GNU Demo" {
		t.Errorf("%+v", svc)
	}
	fptest.MustNotMatch(t, fptest.UDPPlugin(t, name), fptest.ServeUDP(t, func(b []byte) []byte { return b }))
}

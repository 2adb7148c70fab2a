package stun

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// Answers written out from RFC 8489 §5, §14.7, §14.8, §14.10: a Binding
// success with an XOR-MAPPED-ADDRESS (192.0.2.1:32853) and coturn's
// SOFTWARE, and an error 400 "Bad Request" with no SOFTWARE.
const (
	success = "\x01\x01\x00\x24" + "\x21\x12\xa4\x42" + "ajar-stun-id" +
		"\x00\x20\x00\x08" + "\x00\x01\xa1\x47\xe1\x12\xa6\x43" + // XOR-MAPPED-ADDRESS
		"\x80\x22\x00\x14" + "Coturn-4.6.1 'Gorst'" // SOFTWARE, 20 bytes
	badRequest = "\x01\x11\x00\x14" + "\x21\x12\xa4\x42" + "ajar-stun-id" +
		"\x00\x09\x00\x0f" + "\x00\x00\x04\x00" + "Bad Request" + "\x00" // ERROR-CODE 400, padded
)

// coturnCapture is coturn 4.6.1 (Debian 12) answering Request in a test
// namespace: XOR-MAPPED-ADDRESS, MAPPED-ADDRESS, RESPONSE-ORIGIN, SOFTWARE.
const coturnCapture = "0101003c2112a442616a61722d7374756e2d6964002000080001e20a2b71a44300010008" +
	"0001c3180a630001802b0008000104aa0a63000180220014436f7475726e2d342e362e312027476f72737427"

func TestParseCoturn(t *testing.T) {
	b, err := hex.DecodeString(coturnCapture)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := Parse(b)
	if err != nil || svc.Product != "Coturn" || svc.Version != "4.6.1" || svc.ExtraInfo != "Gorst" {
		t.Errorf("%+v, %v", svc, err)
	}
}

func TestRequest(t *testing.T) {
	if got, want := Request(), "\x00\x01\x00\x00\x21\x12\xa4\x42ajar-stun-id"; string(got) != want {
		t.Errorf("% x, want % x", got, want)
	}
}

func TestParse(t *testing.T) {
	svc, err := Parse([]byte(success))
	if err != nil || svc.Product != "Coturn" || svc.Version != "4.6.1" || svc.ExtraInfo != "Gorst" {
		t.Errorf("success: %+v, %v", svc, err)
	}
	svc, err = Parse([]byte(badRequest))
	if err != nil || svc.Product != "" || svc.ExtraInfo != "error 400 Bad Request" {
		t.Errorf("error: %+v, %v", svc, err)
	}
	fptest.NoMatch(t, "Parse", Parse,
		"",
		string(Request()), // echoed: a request
		success[:8]+"other-txn-id"+success[20:],             // another transaction
		success[:4]+"\x21\x12\xa4\x43"+success[8:],          // no magic cookie (RFC 3489)
		success[:3]+"\x28"+success[4:],                      // length past the end
		success[:len(success)-4],                            // cut
		"\x01\x01\x00\x04"+success[4:20]+"\x80\x22\x00\x10", // attribute past the end
	)
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(success))
	f.Add([]byte(badRequest))
	f.Fuzz(func(t *testing.T, b []byte) {
		if svc := fptest.CheckParse(t, "Parse", Parse, b); svc != nil && !bytes.Contains(b, []byte("ajar-stun-id")) {
			t.Errorf("% x taken without our transaction ID", b)
		}
	})
}

func TestIdentify(t *testing.T) {
	svc := fptest.MustMatch(t, fptest.UDPPlugin(t, name), fptest.ServeUDP(t, func(b []byte) []byte {
		if bytes.Equal(b, Request()) {
			return []byte(success)
		}
		return nil
	}))
	if svc.Product != "Coturn" {
		t.Errorf("%+v", svc)
	}
	fptest.MustNotMatch(t, fptest.UDPPlugin(t, name), fptest.ServeUDP(t, func(b []byte) []byte { return b }))
}

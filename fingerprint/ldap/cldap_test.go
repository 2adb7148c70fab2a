package ldap

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// sambaCLDAP is Samba 4.17.12 (Debian 12) as an Active Directory domain
// controller, provisioned for AJAR.TEST in a test namespace, answering
// CLDAPRequest over UDP: the root DSE entry and SearchResultDone in one
// datagram.
const sambaCLDAP = "308201da020101648201d30400308201cd3029041464656661756c744e616d696e67436f6e746578743111040f44433d616a61722c44433d746573743081950415737570706f727465644361706162696c6974696573317c0416312e322e3834302e3131333535362e312e342e3830300417312e322e3834302e3131333535362e312e342e313637300417312e322e3834302e3131333535362e312e342e313739310417312e322e3834302e3131333535362e312e342e313933350417312e322e3834302e3131333535362e312e342e32303830301e0414737570706f727465644c44415056657273696f6e31060401320401333032040a76656e646f724e616d653124042253616d6261205465616d202868747470733a2f2f7777772e73616d62612e6f726729301e040b646e73486f73744e616d65310f040d6463312e616a61722e746573743071040e6e616d696e67436f6e7465787473315f040f44433d616a61722c44433d746573740420434e3d436f6e66696775726174696f6e2c44433d616a61722c44433d74657374042a434e3d536368656d612c434e3d436f6e66696775726174696f6e2c44433d616a61722c44433d746573743021040d76656e646f7256657273696f6e3110040e342e31372e31322d44656269616e300c02010165070a010004000400"

func TestParseCLDAP(t *testing.T) {
	b, err := hex.DecodeString(sambaCLDAP)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := ParseCLDAP(b)
	if err != nil || svc.Name != "ldap" || svc.Product != "Samba" || svc.Version != "4.17.12" ||
		len(svc.CPE) != 1 || svc.CPE[0] != "cpe:2.3:a:samba:samba:4.17.12:*:*:*:*:*:*:*" {
		t.Errorf("%+v, %v", svc, err)
	}
	// slapd's TCP answer is the same messages; over UDP too.
	if svc, err := ParseCLDAP([]byte(slapd)); err != nil || svc.Product != "OpenLDAP" {
		t.Errorf("slapd: %+v, %v", svc, err)
	}
	fptest.NoMatch(t, "ParseCLDAP", ParseCLDAP,
		"",
		string(CLDAPRequest()), // echoed: a request
		string(b[:len(b)-14]),  // the entry without SearchResultDone
		string(b[:len(b)-1]),   // cut
		string(b)+"\x30",       // a byte past the messages
		"0\f\x02\x01\x02e\a\n\x01\x00\x04\x00\x04\x00", // another message's Done
		"0\f\x02\x01\x00x\a\n\x01\x02\x04\x00\x04\x00", // a notice of disconnection
	)
}

func FuzzParseCLDAP(f *testing.F) {
	b, err := hex.DecodeString(sambaCLDAP)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(slapd))
	f.Fuzz(func(t *testing.T, b []byte) {
		if svc := fptest.CheckParse(t, "ParseCLDAP", ParseCLDAP, b); svc != nil && !bytes.HasSuffix(b, []byte("\x02\x01\x01e\x07\x0a\x01\x00\x04\x00\x04\x00")) && !bytes.Contains(b, []byte("\x02\x01\x01e")) {
			t.Errorf("% x taken", b)
		}
	})
}

func TestIdentifyCLDAP(t *testing.T) {
	b, err := hex.DecodeString(sambaCLDAP)
	if err != nil {
		t.Fatal(err)
	}
	svc := fptest.MustMatch(t, fptest.UDPPlugin(t, "ldap"), fptest.ServeUDP(t, func(req []byte) []byte {
		if bytes.Equal(req, CLDAPRequest()) {
			return b
		}
		return nil
	}))
	if svc.Product != "Samba" {
		t.Errorf("%+v", svc)
	}
	fptest.MustNotMatch(t, fptest.UDPPlugin(t, "ldap"), fptest.ServeUDP(t, func(b []byte) []byte { return b }))
}

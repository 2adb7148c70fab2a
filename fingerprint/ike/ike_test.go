package ike

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// Answers written out by hand from RFC 7296 §3.1, §3.10 and RFC 2408
// §3.1, §3.14: an IKEv2 responder that wants another D-H group
// (INVALID_KE_PAYLOAD naming group 19, responder SPI zero as §1.2 has
// it), and an IKEv1 responder that takes no proposal (an Informational
// exchange with NO-PROPOSAL-CHOSEN).
const (
	invalidKE = "ajar-ike" + "\x00\x00\x00\x00\x00\x00\x00\x00" +
		"\x29\x20\x22\x20" + "\x00\x00\x00\x00" + "\x00\x00\x00\x26" + // N, v2.0, IKE_SA_INIT, Response; ID 0; 38 bytes
		"\x00\x00\x00\x0a" + "\x00\x00\x00\x11" + "\x00\x13" // Notify: IKE, no SPI, INVALID_KE_PAYLOAD, group 19
	noProposal = "ajar-ike" + "\x11\x12\x13\x14\x15\x16\x17\x18" +
		"\x0b\x10\x05\x00" + "\x5e\x4a\x21\x07" + "\x00\x00\x00\x28" + // N, v1.0, Informational; 40 bytes
		"\x00\x00\x00\x0c" + "\x00\x00\x00\x01" + "\x01\x00\x00\x0e" // Notify: DOI IPsec, ISAKMP, NO-PROPOSAL-CHOSEN
)

// Captures of strongSwan 5.9.8's charon (Debian 12, no connections
// configured) answering SAInit and MainMode in a test namespace. (On port
// 4500 it did not answer SAInit behind the non-ESP marker.)
const (
	charonV2 = "616a61722d696b65f5842ae1a3216b4c292022200000000000000024000000080000000e"
	charonV1 = "616a61722d696b65aff34204a58eee3a0b10050090acafed000000280000000c000000010100000e"
)

func TestParse(t *testing.T) {
	unhex := func(s string) string {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, c := range []struct {
		in, info string
	}{
		{unhex(charonV2), "IKEv2; NO_PROPOSAL_CHOSEN"},
		{unhex(charonV1), "IKEv1; NO_PROPOSAL_CHOSEN"},
		{invalidKE, "IKEv2; INVALID_KE_PAYLOAD"},
		{noProposal, "IKEv1; NO_PROPOSAL_CHOSEN"},
	} {
		a, err := Parse([]byte(c.in))
		if err != nil {
			t.Errorf("% x: %v", c.in, err)
			continue
		}
		if got := Describe(a).ExtraInfo; got != c.info {
			t.Errorf("%q, want %q", got, c.info)
		}
	}
}

func TestNoMatch(t *testing.T) {
	v2 := []byte(invalidKE)
	fptest.NoMatch(t, "Parse", Parse,
		"",
		string(SAInit()),         // our IKEv2 request echoed: the Initiator flag
		string(MainMode()),       // our IKEv1 request echoed: no responder cookie
		"other-sp"+invalidKE[8:], // not our SPI
		string(append(bytes.Clone(v2[:19]), 0x08))+invalidKE[20:], // flags: Initiator
		invalidKE[:30],                                   // cut inside the notify
		invalidKE[:27]+"\x30"+invalidKE[28:],             // length past the end
		invalidKE[:17]+"\x30"+invalidKE[18:],             // version 3
		invalidKE[:18]+"\x23"+invalidKE[19:],             // IKE_AUTH
		invalidKE[:28]+"\x00\x00\x00\x03"+invalidKE[32:], // payload length 3
		"\x00\x00\x00\x00"+invalidKE,                     // the non-ESP marker on port 500
	)
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(invalidKE))
	f.Add([]byte(noProposal))
	f.Fuzz(func(t *testing.T, b []byte) {
		if a := fptest.CheckParse(t, "Parse", Parse, b); a != nil && !bytes.HasPrefix(b, []byte(initiatorSPI)) {
			t.Errorf("% x taken without our SPI", b)
		}
	})
}

func TestIdentify(t *testing.T) {
	answer := func(natt bool) func([]byte) []byte {
		return func(b []byte) []byte {
			switch {
			case natt && bytes.Equal(b, append(nonESPMarker(), SAInit()...)):
				return append(nonESPMarker(), invalidKE...)
			case !natt && bytes.Equal(b, MainMode()):
				return []byte(noProposal)
			}
			return nil
		}
	}
	if svc := fptest.MustMatch(t, plugin{}, fptest.ServeUDP(t, answer(false))); svc.ExtraInfo != "IKEv1; NO_PROPOSAL_CHOSEN" {
		t.Errorf("isakmp: %+v", svc)
	}
	if svc := fptest.MustMatch(t, plugin{natt: true}, fptest.ServeUDP(t, answer(true))); svc.Name != "ipsec-nat-t" {
		t.Errorf("nat-t: %+v", svc)
	}
	// IKE on 4500 answers without the marker: not IKE as 4500 speaks it.
	fptest.MustNotMatch(t, plugin{natt: true}, fptest.ServeUDP(t, func(b []byte) []byte { return []byte(invalidKE) }))
}

package netbiosns

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// encodedStar is "*" and 15 NULs in first-level encoding (RFC 1001 §14.1).
const encodedStar = "CK" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

// status is a NODE STATUS RESPONSE (RFC 1002 §4.2.18) written out by
// hand: our ID, flags R and AA, one answer for "*" of type NBSTAT with
// three names (a workstation, its workgroup, a file server) and a MAC.
const status = "\x61\x6a\x84\x00\x00\x00\x00\x01\x00\x00\x00\x00" +
	"\x20" + encodedStar + "\x00" +
	"\x00\x21\x00\x01\x00\x00\x00\x00\x00\x3d" + // NBSTAT, IN, TTL 0, RDLENGTH 61
	"\x03" +
	"AJAR-HOST      \x00\x04\x00" +
	"WORKGROUP      \x00\x84\x00" +
	"AJAR-HOST      \x20\x04\x00" +
	"\x02\x00\x5e\x10\x20\x30"

// nmbdCapture is Samba 4.17.12's nmbd (Debian 12) answering Request, in
// a test namespace, with netbios name AJARBED and workgroup AJARWG: five
// names and 46 bytes of statistics, the MAC among them zero.
const nmbdCapture = "616a8400000000010000000020434b4141414141414141414141414141414141414141414141" +
	"41414141414141000021000100000000008905414a4152424544202020202020202000040041" +
	"4a41524245442020202020202020030400414a41524245442020202020202020200400414a41" +
	"525747202020202020202020008400414a415257472020202020202020201e84000000000000" +
	"0000000000000000000000000000000000000000000000000000000000000000000000000000" +
	"000000"

func TestParseNmbd(t *testing.T) {
	b, err := hex.DecodeString(nmbdCapture)
	if err != nil {
		t.Fatal(err)
	}
	st, err := ParseStatus(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Names) != 5 || st.Names[3] != (Name{"AJARWG", 0x00, true}) || st.Names[2].Suffix != 0x20 {
		t.Errorf("names %+v", st.Names)
	}
	svc, err := Parse(b)
	if err != nil || svc.ExtraInfo != "name: AJARBED; workgroup: AJARWG" {
		t.Errorf("%+v, %v", svc, err)
	}
}

func TestRequest(t *testing.T) {
	want := "\x61\x6a\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00" + "\x20" + encodedStar + "\x00" + "\x00\x21\x00\x01"
	if got := Request(); string(got) != want {
		t.Errorf("\n got % x\nwant % x", got, want)
	}
}

func TestParse(t *testing.T) {
	svc, err := Parse([]byte(status))
	if err != nil {
		t.Fatal(err)
	}
	if svc.Name != "netbios-ns" || svc.ExtraInfo != "name: AJAR-HOST; workgroup: WORKGROUP; MAC: 02:00:5e:10:20:30" {
		t.Errorf("%+v", svc)
	}
	// Samba's nmbd sends a zero MAC: not worth showing.
	zero := strings.Replace(status, "\x02\x00\x5e\x10\x20\x30", "\x00\x00\x00\x00\x00\x00", 1)
	if svc, err := Parse([]byte(zero)); err != nil || strings.Contains(svc.ExtraInfo, "MAC") {
		t.Errorf("zero MAC: %+v, %v", svc, err)
	}
	// A compression pointer for the answer's name is read too.
	ptr := strings.Replace(status, "\x20"+encodedStar+"\x00", "\xc0\x0c", 1)
	if _, err := Parse([]byte(ptr)); err != nil {
		t.Errorf("pointer name: %v", err)
	}
}

func TestNoMatch(t *testing.T) {
	cut := func(s string, n int) string { return s[:len(s)-n] }
	fptest.NoMatch(t, "Parse", Parse,
		"",
		string(Request()), // our own request echoed
		strings.Replace(status, "\x61\x6a", "\x61\x6b", 1),                                 // another ID
		strings.Replace(status, "\x84\x00", "\x84\x03", 1),                                 // NXDOMAIN-like error
		strings.Replace(status, "\x00\x21\x00\x01\x00\x00", "\x00\x20\x00\x01\x00\x00", 1), // type NB
		cut(status, 30), // the name table cut short
		// A DNS server's answer to the same bytes: REFUSED, no answer.
		"\x61\x6a\x81\x05\x00\x01\x00\x00\x00\x00\x00\x00\x20"+encodedStar+"\x00\x00\x21\x00\x01",
		"SSH-2.0-OpenSSH_9.2\r\n",
	)
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(status))
	f.Add(Request())
	f.Fuzz(func(t *testing.T, b []byte) {
		svc := fptest.CheckParse(t, "Parse", Parse, b)
		if svc != nil && !bytes.HasPrefix(b, []byte{0x61, 0x6a}) {
			t.Errorf("% x named without our ID", b)
		}
	})
}

// TestIdentify: the plugin names a loopback server that answers the
// request with the status above, and not one that echoes.
func TestIdentify(t *testing.T) {
	addr := fptest.ServeUDP(t, func(b []byte) []byte {
		if bytes.Equal(b, Request()) {
			return []byte(status)
		}
		return nil
	})
	if svc := fptest.MustMatch(t, fptest.UDPPlugin(t, name), addr); svc.ExtraInfo == "" {
		t.Errorf("%+v", svc)
	}
	fptest.MustNotMatch(t, fptest.UDPPlugin(t, name), fptest.ServeUDP(t, func(b []byte) []byte { return b }))
}

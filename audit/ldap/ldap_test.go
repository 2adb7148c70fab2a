package ldap

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/ajarsec/ajar/internal/ber"
	"github.com/ajarsec/ajar/record"
)

func unhex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

func TestBindAnonymous(t *testing.T) {
	// RFC 4511 4.2: SEQUENCE { 1, [APPLICATION 0] { 3, "", [0] "" } }.
	if got, want := BindAnonymous(1), unhex("300c020101 6007 020103 0400 8000"); !bytes.Equal(got, want) {
		t.Errorf("% x\nwant % x", got, want)
	}
}

func TestParse(t *testing.T) {
	// OpenLDAP 2.5's answers: bind success, then a root DSE entry with
	// namingContexts and its SearchResultDone, sent in one read.
	bindOK := unhex("300c020101 6107 0a0100 0400 0400")
	entry := message(2, ber.TLV(opSearchEntry, ber.OctetString(""), ber.TLV(ber.TagSequence,
		ber.TLV(ber.TagSequence, ber.OctetString("namingContexts"), ber.TLV(ber.TagSet, ber.OctetString("dc=zoo,dc=test"))))))
	done := unhex("300c020102 6507 0a0100 0400 0400")
	all := append(append(append([]byte{}, bindOK...), entry...), done...)
	for cut := 0; cut <= len(all); cut++ {
		msgs, rest, err := Parse(all[:cut])
		if err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		if n := len(msgs); cut == len(all) && (n != 3 || len(rest) != 0) {
			t.Fatalf("whole: %d messages, %d left", n, len(rest))
		}
	}
	msgs, _, _ := Parse(all)
	if code, err := ResultCode(msgs[0].Contents); code != 0 || err != nil || msgs[0].Op != opBindResponse {
		t.Errorf("bind: %d %v", code, err)
	}
	dn, vals, err := Entry(msgs[1].Contents, "namingcontexts")
	if err != nil || dn != "" || len(vals) != 1 || vals[0] != "dc=zoo,dc=test" {
		t.Errorf("entry %q %v %v", dn, vals, err)
	}
	// inappropriateAuthentication (48), as slapd answers with
	// disallow bind_anon.
	refused, _, _ := Parse(unhex("302502010161200a013004000419616e6f6e796d6f75732062696e6420646973616c6c6f776564"))
	if code, _ := ResultCode(refused[0].Contents); code != 48 {
		t.Errorf("refused bind: code %d", code)
	}
	if _, _, err := Parse([]byte("HTTP/1.1 400 Bad Request\r\n")); err == nil {
		t.Error("HTTP parsed as LDAP")
	}
}

func TestJudge(t *testing.T) {
	ids := func(fs []record.Finding) string {
		var s []string
		for _, f := range fs {
			s = append(s, f.ID+"/"+f.Severity.String())
		}
		return strings.Join(s, ",")
	}
	ctx := []string{"dc=zoo,dc=test"}
	for _, tc := range []struct {
		code    int64
		entries []string
		want    string
	}{
		{0, []string{"ou=people,dc=zoo,dc=test"}, "ldap-anonymous-bind/low,ldap-anonymous-read/medium"},
		{0, nil, "ldap-anonymous-bind/low"},
		{48, nil, ""},
		{48, []string{"ou=people,dc=zoo,dc=test"}, "ldap-anonymous-read/medium"},
	} {
		if got := ids(Judge(tc.code, ctx, tc.entries)); got != tc.want {
			t.Errorf("Judge(%d, %v) = %s, want %s", tc.code, tc.entries, got, tc.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(unhex("300c020101 6107 0a0100 0400 0400"))
	f.Fuzz(func(t *testing.T, b []byte) {
		msgs, _, _ := Parse(b)
		for _, m := range msgs {
			ResultCode(m.Contents)
			Entry(m.Contents, "namingContexts")
		}
	})
}

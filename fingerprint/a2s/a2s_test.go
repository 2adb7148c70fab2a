package a2s

import (
	"bytes"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// Answers written out from Valve's "Server queries" (A2S_INFO, the
// response format and its extra data flag): a Counter-Strike 2 server on
// Linux with VAC, whose EDF gives the game port, SteamID, keywords and
// game ID; and a Windows listen server without EDF, password set.
const (
	cs2 = "\xff\xff\xff\xffI\x11" + "ajar test server\x00" + "de_dust2\x00" + "csgo\x00" + "Counter-Strike 2\x00" +
		"\xda\x02" + "\x03\x18\x00" + "dl\x00\x01" + "1.40.2.3/14023\x00" +
		"\xb1" + "\x87\x69" + "\x01\x02\x03\x04\x05\x06\x07\x08" + "secure,empty\x00" + "\xda\x02\x00\x00\x00\x00\x00\x00"
	listen = "\xff\xff\xff\xffI\x30" + "home\x00" + "ctf_2fort\x00" + "tf\x00" + "Team Fortress\x00" +
		"\xb8\x01" + "\x01\x08\x00" + "lw\x01\x00" + "9301574\x00"
	challengeAnswer = "\xff\xff\xff\xffA\x4b\x12\x9f\x03"
)

func TestQuery(t *testing.T) {
	if got := string(Query(nil)); got != "\xff\xff\xff\xffTSource Engine Query\x00" {
		t.Errorf("%q", got)
	}
	if got := string(Query([]byte("\x4b\x12\x9f\x03"))); got != "\xff\xff\xff\xffTSource Engine Query\x00\x4b\x12\x9f\x03" {
		t.Errorf("%q", got)
	}
}

func TestParseInfo(t *testing.T) {
	for _, c := range []struct{ in, product, version, info string }{
		{cs2, "Counter-Strike 2", "1.40.2.3/14023", "map de_dust2; 3/24 players; dedicated on Linux; VAC; host ajar test server"},
		{listen, "Team Fortress", "9301574", "map ctf_2fort; 1/8 players; listen on Windows; password; host home"},
	} {
		svc, err := ParseInfo([]byte(c.in))
		if err != nil || svc.Name != "a2s" || svc.Product != c.product || svc.Version != c.version || svc.ExtraInfo != c.info {
			t.Errorf("%q: %+v, %v", c.in, svc, err)
		}
	}
	if in, err := ParseInfo([]byte(cs2)); err != nil || in.Detail.(Info).Keywords != "secure,empty" || in.Detail.(Info).AppID != 730 {
		t.Errorf("%+v", in.Detail)
	}
	fptest.NoMatch(t, "ParseInfo", ParseInfo,
		"",
		string(Query(nil)), // echoed
		challengeAnswer,
		cs2[:len(cs2)-1],               // cut in the game ID
		listen[:len(listen)-1],         // version unterminated
		"\xff\xff\xff\xffm"+listen[5:], // GoldSource's old answer
		listen[:len(listen)-12]+"xw\x01\x00"+listen[len(listen)-8:],               // server type x
		listen[:len(listen)-12]+"lq\x01\x00"+listen[len(listen)-8:],               // environment q
		listen[:len(listen)-12]+"lw\x02\x00"+listen[len(listen)-8:],               // visibility 2
		"\xff\xff\xff\xffI\x11\x00\x00\x00\x00\x00\x00\x00\x00\x00dl\x00\x00\x00", // no folder
	)
}

func FuzzParseInfo(f *testing.F) {
	f.Add([]byte(cs2))
	f.Add([]byte(listen))
	f.Fuzz(func(t *testing.T, b []byte) {
		if svc := fptest.CheckParse(t, "ParseInfo", ParseInfo, b); svc != nil && !bytes.HasPrefix(b, []byte("\xff\xff\xff\xffI")) {
			t.Errorf("%q taken", b)
		}
	})
}

// TestIdentify: a server that asks for a challenge answers only the query
// that carries it back; one that does not answers at once; an echo and a
// server that only ever sends challenges are not named.
func TestIdentify(t *testing.T) {
	p := fptest.UDPPlugin(t, name)
	svc := fptest.MustMatch(t, p, fptest.ServeUDP(t, func(b []byte) []byte {
		switch {
		case bytes.Equal(b, Query(nil)):
			return []byte(challengeAnswer)
		case bytes.Equal(b, Query([]byte(challengeAnswer[5:]))):
			return []byte(cs2)
		}
		return nil
	}))
	if svc.Product != "Counter-Strike 2" {
		t.Errorf("%+v", svc)
	}
	fptest.MustMatch(t, p, fptest.ServeUDP(t, func(b []byte) []byte { return []byte(listen) }))
	fptest.MustNotMatch(t, p, fptest.ServeUDP(t, func(b []byte) []byte { return b }))
	fptest.MustNotMatch(t, p, fptest.ServeUDP(t, func(b []byte) []byte { return []byte(challengeAnswer) }))
}

package quake3

import (
	"bytes"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// Answers written out from ioquake3's connectionless protocol (the
// out-of-band prefix, "infoResponse\n" and an info string that carries
// the challenge back): an ioquake3 server as SVC_Info describes itself,
// and a DarkPlaces (Xonotic) server, with a trailing newline and colour
// codes in its host name.
const (
	ioq3 = "\xff\xff\xff\xffinfoResponse\n" +
		`\challenge\ajarq3c7f3a\version\ioq3 1.36_GIT_70d07d9-2022-11-23 linux-x86_64\protocol\71\hostname\noname` +
		`\mapname\q3dm17\clients\2\g_humanplayers\2\sv_maxclients\16\gametype\0\pure\1\g_needpass\0\gamename\Quake3Arena`
	xonotic = "\xff\xff\xff\xffinfoResponse\n" +
		`\gamename\Xonotic\modname\data\gameversion\803\sv_maxclients\24\clients\0\bots\0\mapname\solarium` +
		`\hostname\^1Red ^7Server\protocol\3\qcstatus\:dm:P0\challenge\ajarq3c7f3a` + "\n"
)

func TestParse(t *testing.T) {
	for _, c := range []struct{ in, product, info string }{
		{ioq3, "Quake3Arena", "protocol 71; map q3dm17; 2/16 players; host noname"},
		{xonotic, "Xonotic", "protocol 3; map solarium; 0/24 players; host Red Server"},
		{"\xff\xff\xff\xffinfoResponse\n\\challenge\\ajarq3c7f3a", "", ""},
	} {
		svc, err := Parse([]byte(c.in))
		if err != nil || svc.Name != "quake3" || svc.Product != c.product || svc.ExtraInfo != c.info {
			t.Errorf("%q: %+v, %v", c.in, svc, err)
		}
	}
	fptest.NoMatch(t, "Parse", Parse,
		"",
		string(GetInfo()), // echoed
		"\xff\xff\xff\xffinfoResponse\n\\challenge\\other",
		"\xff\xff\xff\xffinfoResponse\n\\challenge",                   // odd count
		"\xff\xff\xff\xffinfoResponse\n\\\\x\\challenge\\ajarq3c7f3a", // an empty key
		"\xff\xff\xff\xffstatusResponse\n\\challenge\\ajarq3c7f3a",
		"\xff\xff\xffinfoResponse\n\\challenge\\ajarq3c7f3a",
		"\xff\xff\xff\xffinfoResponse\n\\challenge\\ajarq3c7f3a\n0 0 \"player\"\n", // more lines
		"\xff\xff\xff\xffinfoResponse\nchallenge\\ajarq3c7f3a",                     // no leading backslash
		"\xff\xff\xff\xffinfoResponse\n"+string(bytes.Repeat([]byte(`\k\v`), 65))+`\challenge\ajarq3c7f3a`,
	)
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(ioq3))
	f.Add([]byte(xonotic))
	f.Fuzz(func(t *testing.T, b []byte) {
		if svc := fptest.CheckParse(t, "Parse", Parse, b); svc != nil && !bytes.Contains(bytes.ToLower(b), []byte(`challenge\ajarq3c7f3a`)) {
			t.Errorf("%q taken", b)
		}
	})
}

func TestIdentify(t *testing.T) {
	fptest.MustMatch(t, fptest.UDPPlugin(t, name), fptest.ServeUDP(t, func(b []byte) []byte {
		if bytes.Equal(b, GetInfo()) {
			return []byte(ioq3)
		}
		return nil
	}))
	fptest.MustNotMatch(t, fptest.UDPPlugin(t, name), fptest.ServeUDP(t, func(b []byte) []byte { return b }))
}

package git

import (
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// denied is git daemon 2.39's (Debian 12) answer for the root path.
const denied = "0033ERR access denied or repository not exported: /"

// refs is the first line of a repository's advertisement, protocol v0.
const refs = "0103e83c5163316f89bfbde7d9ab23ca2e25604af290 HEAD\x00multi_ack thin-pack side-band side-band-64k " +
	"ofs-delta shallow deepen-since deepen-not deepen-relative no-progress include-tag multi_ack_detailed " +
	"symref=HEAD:refs/heads/main object-format=sha1 agent=git/2.39.5\n"

func TestParse(t *testing.T) {
	if svc := fptest.CheckParse(t, "Parse", Parse, []byte(denied)); svc.ExtraInfo != "access denied or repository not exported: /" {
		t.Errorf("got %+v", svc)
	}
	if svc := fptest.CheckParse(t, "Parse", Parse, []byte(refs)); svc.Product != "git" || svc.Version != "2.39.5" {
		t.Errorf("got %+v", svc)
	}
	v2 := "000eversion 2\n0013agent=git/2.39.5\n0000"
	if svc := fptest.CheckParse(t, "Parse", Parse, []byte(v2)); svc.Version != "2.39.5" {
		t.Errorf("got %+v", svc)
	}
	fptest.NoMatch(t, "Parse", Parse, "0000", "0033ERR short", "HTTP/1.1 400 Bad Request\r\n\r\n",
		"0008ERR ", "000bhello\n", "0003")
	if got := string(Request("/", "zoo.test")); got != "0024git-upload-pack /\x00host=zoo.test\x00" {
		t.Errorf("request %q", got)
	}
}

func TestIdentify(t *testing.T) {
	fptest.MustMatch(t, plugin{}, fptest.Serve(t, fptest.Reply([]byte(denied), 10)))
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, fptest.Reply([]byte("-ERR unknown command\r\n"), 10)))
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(denied))
	f.Add([]byte(refs))
	f.Fuzz(func(t *testing.T, b []byte) { Parse(b) })
}

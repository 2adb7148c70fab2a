package ident

import (
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// Answers to "1, 1": oidentd 2.5.0 (Debian 12), and the forms of RFC
// 1413's examples.
var answers = map[string]string{
	"1,1:ERROR:NO-USER\r\n":                   "error: NO-USER",
	"1 , 1 : ERROR : INVALID-PORT\r\n":        "error: INVALID-PORT",
	"   1,    1 : ERROR : HIDDEN-USER\r\n":    "error: HIDDEN-USER",
	"1, 1 : USERID : UNIX : stjohns\r\n":      "answers USERID for any connection",
	"1,1:ERROR:X-DEBIAN-SPECIAL-ERROR\n":      "error: X-DEBIAN-SPECIAL-ERROR",
	"1 , 1 : ERROR : UNKNOWN-ERROR    \r\n":   "error: UNKNOWN-ERROR",
	"1,1 : USERID : OTHER :  nobody here\r\n": "answers USERID for any connection",
}

// others are answers of other protocols to "1, 1\r\n", and broken ones.
var others = []string{
	"",
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\n\r\n",
	"500 What?\r\n",
	"-ERR unknown command\r\n",
	"1, 1\r\n", // an echo
	"2,1:ERROR:NO-USER\r\n",
	"1,1:OK:fine\r\n",
	"1,1:ERROR:NO-USER", // no line end
}

func TestParse(t *testing.T) {
	for in, extra := range answers {
		svc := fptest.CheckParse(t, "Parse", Parse, []byte(in))
		if svc == nil || svc.Name != "ident" || svc.ExtraInfo != extra {
			t.Errorf("Parse(%q) = %+v, want extra %q", in, svc, extra)
		}
	}
	fptest.NoMatch(t, "Parse", Parse, others...)
}

func FuzzParse(f *testing.F) {
	for in := range answers {
		f.Add([]byte(in))
	}
	for _, o := range others {
		f.Add([]byte(o))
	}
	f.Fuzz(func(t *testing.T, b []byte) { fptest.CheckParse(t, "Parse", Parse, b) })
}

func TestIdentifyLive(t *testing.T) {
	srv := fptest.Lines{Unknown: "1,1:ERROR:NO-USER\r\n"}
	if svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, srv.Handle)); svc.ExtraInfo != "error: NO-USER" {
		t.Errorf("got %+v", svc)
	}
	echo := fptest.Lines{Key: func(string) string { return "" }, Replies: map[string]string{"": "1, 1\r\n"}}
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, echo.Handle))
	fptest.MustNotMatch(t, plugin{}, fptest.HangUp(t))
}

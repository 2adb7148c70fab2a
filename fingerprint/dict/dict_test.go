package dict

import (
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// greeting113 is dictd 1.13.0's (Debian 12) greeting.
const greeting113 = "220 vm dictd 1.13.0/rf on Linux 6.18.44 <auth.mime> <1.13096.1796416357@vm>\r\n"

func TestParse(t *testing.T) {
	svc := fptest.CheckParse(t, "Parse", Parse, []byte(greeting113))
	if svc.Product != "dictd" || svc.Version != "1.13.0" || svc.ExtraInfo != "capabilities auth.mime" {
		t.Errorf("got %+v", svc)
	}
	dico := fptest.CheckParse(t, "Parse", Parse, []byte("220 dict.example.org dico (GNU Dico) 2.11 <mime.xversion.xlev> <1.2@dict.example.org>\r\n"))
	if dico.Product != "GNU Dico" || dico.Version != "2.11" {
		t.Errorf("got %+v", dico)
	}
	fptest.NoMatch(t, "Parse", Parse,
		"220 (vsFTPd 3.0.3)\r\n",
		"220 mx.example.org ESMTP Exim 4.96 Fri, 04 Dec 2026 20:00:00 +0000\r\n",
		"220 vm dictd 1.13.0/rf on Linux <auth.mime>\r\n", // no message id
		"200 vm dictd 1.13.0 <1.2@vm>\r\n",
		"220 vm dictd 1.13.0 <1.2@vm>",
	)
}

// TestIdentify plays dictd, and servers of other 220 protocols whose
// greeting ends in a message id: only the one that answers SHOW SERVER
// with 114 or HELP with 113 is named.
func TestIdentify(t *testing.T) {
	dictd := fptest.Lines{Greeting: []string{greeting113}, Unknown: "500 unknown command\r\n",
		Replies: map[string]string{"SHOW SERVER": "114 server information\r\ndictd 1.13.0/rf\r\n.\r\n250 ok\r\n"}}
	helpOnly := fptest.Lines{Greeting: []string{greeting113}, Unknown: "500 unknown command\r\n",
		Replies: map[string]string{"SHOW SERVER": "502 command not implemented\r\n", "HELP": "113 help text follows\r\n.\r\n250 ok\r\n"}}
	svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, dictd.Handle))
	if svc.Product != "dictd" || svc.Version != "1.13.0" {
		t.Errorf("got %+v", svc)
	}
	fptest.MustMatch(t, plugin{}, fptest.Serve(t, helpOnly.Handle))
	smtp := fptest.Lines{Greeting: []string{"220 mx ESMTP <1.2@mx>\r\n"}, Unknown: "500 5.5.1 Unrecognized command\r\n"}
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, smtp.Handle))
	ftp := fptest.Lines{Greeting: []string{"220 ftp ready <1.2@ftp>\r\n"}, Unknown: "500 Unknown command.\r\n",
		Replies: map[string]string{"HELP": "214-The following commands are recognized.\r\n214 Help OK.\r\n"}}
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, ftp.Handle))
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(greeting113))
	f.Fuzz(func(t *testing.T, b []byte) { Parse(b) })
}

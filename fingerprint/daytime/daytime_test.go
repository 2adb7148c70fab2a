package daytime

import (
	"net"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// answers are what daytime servers send: openbsd-inetd's internal
// service (ctime), RFC 867's example, RFC 1123 and NIST's format.
var answers = []string{
	"Fri Dec  4 17:40:00 2026\r\n",
	"Tuesday, February 22, 1982 17:37:43-PST\r\n",
	"Fri, 04 Dec 2026 17:40:00 GMT\r\n",
	"60140 23-08-14 17:24:08 50 0 0 450.5 UTC(NIST) * \n",
	"2026-12-04T17:40:00Z\n",
}

var others = []string{
	"",
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"HTTP/1.1 400 Bad Request\r\nDate: Fri, 04 Dec 2026 17:40:00 GMT\r\n\r\n",
	"220 ready\r\n",
	"Fri Dec  4 17:40:00 2026", // no line end: not whole
	"Fri Dec  4 17:40:00 2026\r\nmore\r\n",
	"Weekday, Month Day, Year Time-Zone\r\n",
}

func TestParse(t *testing.T) {
	for _, in := range answers {
		if svc := fptest.CheckParse(t, "Parse", Parse, []byte(in)); svc == nil || svc.Name != "daytime" {
			t.Errorf("Parse(%q) = %+v", in, svc)
		}
	}
	fptest.NoMatch(t, "Parse", Parse, others...)
}

func FuzzParse(f *testing.F) {
	for _, s := range append(answers, others...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { fptest.CheckParse(t, "Parse", Parse, b) })
}

func TestIdentifyLive(t *testing.T) {
	addr := fptest.Serve(t, func(c net.Conn) { c.Write([]byte(answers[0])) })
	fptest.MustMatch(t, plugin{}, addr)
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, fptest.Reply([]byte(others[3]), 0)))
}

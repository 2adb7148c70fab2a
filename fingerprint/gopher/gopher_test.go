package gopher

import (
	"net"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// gophernicus is Gophernicus 3.1.1's (Debian 12) root menu, from a
// gophermap of one information line, with its footer.
const gophernicus = "iajar zoo\t\terror.host\t1\r\n" +
	"i______________________________________________________________________\t\tnull.host\t1\r\n" +
	"i                          Gophered by Gophernicus/3.1.1 on Debian/12 x86_64\t\tnull.host\t1\r\n.\r\n"

// rfc1436 is the example menu of RFC 1436, section 3.
const rfc1436 = "0About internet Gopher\tStuff:About us\trawBits.micro.umn.edu\t70\r\n" +
	"1Around University of Minnesota\tZ,5692,AUM\tunderdog.micro.umn.edu\t70\r\n" +
	"1Microcomputer News & Prices\tPrices/\tpserver.bookstore.umn.edu\t70\r\n" +
	"1Courses, Schedules, Calendars\t\tevents.ais.umn.edu\t9120\r\n" +
	"1Student-Staff Directories\t\tuinfo.ais.umn.edu\t70\r\n" +
	"1Departmental Publications\tStuff:DP:\trawBits.micro.umn.edu\t70\r\n.\r\n"

// others are answers of other protocols to an empty line, and broken
// menus.
var others = []string{
	"",
	"\r\n",
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\n\r\n",
	"500 What?\r\n",
	"-ERR unknown command\r\n",
	"1,1:ERROR:INVALID-PORT\r\n",
	".\r\n",
	"1Menu\tsel\thost\r\n.\r\n",           // three fields
	"1Menu\tsel\t\t70\r\n.\r\n",           // no host
	"0Doc\tsel\thost\tseventy\r\n.\r\n",   // no port
	"XWhat\tsel\thost\t70\r\n.\r\n",       // no such type
	"iinfo\t\terror.host\t1\r\nhello\r\n", // a line not in a menu
	"1Menu\tsel\thost\t70\x00\r\n.\r\n",
}

func TestParse(t *testing.T) {
	svc := fptest.CheckParse(t, "Parse", Parse, []byte(gophernicus))
	if svc == nil || svc.Name != "gopher" || svc.Product != "Gophernicus" || svc.Version != "3.1.1" {
		t.Errorf("Parse(gophernicus) = %+v", svc)
	}
	svc = fptest.CheckParse(t, "Parse", Parse, []byte(rfc1436))
	if svc == nil || svc.Name != "gopher" || svc.Product != "" {
		t.Errorf("Parse(rfc1436) = %+v", svc)
	}
	// A server that closes instead of sending the dot.
	if _, err := Parse([]byte(rfc1436[:len(rfc1436)-3])); err != nil {
		t.Errorf("a menu without its dot: %v", err)
	}
	fptest.NoMatch(t, "Parse", Parse, others...)
}

func FuzzParse(f *testing.F) {
	for _, s := range append([]string{gophernicus, rfc1436}, others...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
		menuDone(b)
	})
}

func TestIdentifyLive(t *testing.T) {
	// Gophernicus answers and closes, as a gopher server does.
	addr := fptest.Serve(t, func(c net.Conn) {
		c.Read(make([]byte, 256))
		c.Write([]byte(gophernicus))
	})
	if svc := fptest.MustMatch(t, plugin{}, addr); svc.Version != "3.1.1" {
		t.Errorf("got %+v", svc)
	}
	http := fptest.Serve(t, fptest.Reply([]byte(others[3]), 2))
	fptest.MustNotMatch(t, plugin{}, http)
	fptest.MustNotMatch(t, plugin{}, fptest.HangUp(t))
}

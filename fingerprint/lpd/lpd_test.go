package lpd

import (
	"bufio"
	"io"
	"net"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// Answers of lpd from Debian 12's lpr package (1:2008.05.17.3+nmu1) on a
// host named vm: to "\x03ajarq1\n" with 127.0.0.1 in hosts.lpd, and, as
// soon as the client connects, without it; and "no entries", its answer about a queue that
// exists and is empty.
const (
	bsdUnknown  = "vm: lpd: ajarq1: unknown printer\n"
	bsdNoAccess = "vm: lpd: Your host does not have line printer access\n"
	bsdEmpty    = "no entries\n"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]string{bsdUnknown: unknownPrinter, bsdNoAccess: noAccess, bsdEmpty: noEntries} {
		if got, err := Parse(queues[0], []byte(in)); err != nil || got != want {
			t.Errorf("Parse(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	parse := func(b []byte) (string, error) { return Parse(queues[0], b) }
	fptest.NoMatch(t, "Parse", parse, "", "vm: lpd: ajarq2: unknown printer\n", // another queue
		"vm: lpd: ajarq1: unknown printer", // no line end
		"\x03ajarq1\n", "500 Unknown command '\x03ajarq1'\r\n", "-ERR unknown command\r\n",
		"HTTP/1.1 400 Bad Request\r\n\r\n", bsdEmpty+bsdEmpty, "no entries at all\n")
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{bsdUnknown, bsdNoAccess, bsdEmpty} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { Parse(queues[0], b) })
}

// server plays BSD lpd: one request a connection, answered by answer
// with the queue asked about, then closed.
func server(answer func(queue string) string) func(net.Conn) {
	return func(c net.Conn) {
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil || len(line) < 2 {
			return
		}
		c.Write([]byte(answer(line[1 : len(line)-1])))
	}
}

func TestIdentifyLive(t *testing.T) {
	unknown := server(func(q string) string { return "vm: lpd: " + q + ": unknown printer\n" })
	if svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, unknown)); svc.Product != "BSD lpd" ||
		svc.ExtraInfo != "queue state: unknown printer; host vm" {
		t.Errorf("got %+v", svc)
	}
	fptest.MustMatch(t, plugin{}, fptest.Serve(t, server(func(string) string { return bsdEmpty })))
	// BSD lpd refuses a host without access as soon as it connects.
	refuse := func(c net.Conn) { c.Write([]byte(bsdNoAccess)) }
	if svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, refuse)); svc.ExtraInfo != "queue state: no access; host vm" {
		t.Errorf("got %+v", svc)
	}
	// A server that always names the first queue: its second answer is
	// wrong.
	fixed := server(func(string) string { return bsdUnknown })
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, fixed))
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, func(c net.Conn) { io.Copy(c, c) }))
	fptest.MustNotMatch(t, plugin{}, fptest.HangUp(t))
}

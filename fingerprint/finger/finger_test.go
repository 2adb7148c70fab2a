package finger

import (
	"bufio"
	"io"
	"net"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// Answers of in.fingerd 0.17 (Debian 12's fingerd, with its finger) to
// "root" and to the empty query, on a host where no one is logged on.
const (
	netkitRoot = "Login: root           \t\t\tName: root\r\nDirectory: /root                    \tShell: /bin/bash\r\n" +
		"Never logged in.\r\nNo mail.\r\nNo Plan.\r\n"
	netkitNobody = "No one logged on.\r\n"
	// netkitTable is the header of its table when someone is.
	netkitTable = "Login     Name       Tty      Idle  Login Time   Office     Office Phone\r\n" +
		"root      root       pts/0          Dec  5 07:40\r\n"
)

func TestParse(t *testing.T) {
	if err := ParseUser([]byte(netkitRoot)); err != nil {
		t.Errorf("ParseUser(netkitRoot): %v", err)
	}
	for in, want := range map[string]string{netkitNobody: "no one logged on", netkitTable: "lists the users logged on",
		netkitRoot: "lists the users logged on"} {
		if svc := fptest.CheckParse(t, "ParseList", ParseList, []byte(in)); svc == nil || svc.ExtraInfo != want {
			t.Errorf("ParseList(%q) = %+v", in, svc)
		}
	}
	parseUser := func(b []byte) (bool, error) { return true, ParseUser(b) }
	fptest.NoMatch(t, "ParseUser", parseUser, "", "root\r\n", netkitNobody, "Login: root\r\n", // no other field
		"Login: rooted\tName: x\r\n", "500 root: command not understood\r\n", "HTTP/1.1 400 Bad Request\r\n\r\n",
		"Login: root\tName: \x01\r\n")
	fptest.NoMatch(t, "ParseList", ParseList, "", "\r\n", "220 ready\r\n", "Login incorrect\r\n",
		"Login: root\r\n", "No one logged on.\x00\r\n")
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{netkitRoot, netkitNobody, netkitTable} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ParseUser(b)
		fptest.CheckParse(t, "ParseList", ParseList, b)
	})
}

// server plays in.fingerd: one query a connection, then close.
func server(answers map[string]string) func(net.Conn) {
	return func(c net.Conn) {
		q, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			return
		}
		c.Write([]byte(answers[q]))
	}
}

func TestIdentifyLive(t *testing.T) {
	fingerd := server(map[string]string{"root\r\n": netkitRoot, "\r\n": netkitNobody})
	if svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, fingerd)); svc.ExtraInfo != "no one logged on" {
		t.Errorf("got %+v", svc)
	}
	// A server that answers root's query so, and anything else with
	// something that is no finger list, is not named.
	odd := server(map[string]string{"root\r\n": netkitRoot, "\r\n": "220 ready\r\n"})
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, odd))
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, func(c net.Conn) { io.Copy(c, c) }))
	fptest.MustNotMatch(t, plugin{}, fptest.HangUp(t))
}

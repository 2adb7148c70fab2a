package diff_test

import (
	"encoding/xml"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ajarsec/ajar/diff"
	"github.com/ajarsec/ajar/internal/netnstest"
)

func requireTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			msg := fmt.Sprintf("needs %s (Debian package %s, installed by scripts/test-deps.sh)", tool, tool)
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s; under CI=true this test must run", msg)
			}
			t.Skip(msg)
		}
	}
}

// portChange is one port's change, as ndiff or ajar's diff says it;
// "" for a state ndiff leaves out (a port among the extraports).
type portChange struct {
	proto, before, after string
	port                 int
}

// ndiffChanges runs ndiff --xml on two files and reads its port diffs.
func ndiffChanges(t *testing.T, a, b string) map[string]portChange {
	out, err := exec.Command("ndiff", "--xml", a, b).Output()
	if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() != 1) {
		t.Fatalf("ndiff: %v", err)
	}
	var doc struct {
		Ports []struct {
			A *ndiffPort `xml:"a>port"`
			B *ndiffPort `xml:"b>port"`
		} `xml:"scandiff>hostdiff>host>ports>portdiff"`
	}
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("ndiff's XML: %v\n%s", err, out)
	}
	got := map[string]portChange{}
	for _, pd := range doc.Ports {
		p := pd.A
		if p == nil {
			p = pd.B
		}
		c := portChange{proto: p.Proto, port: p.ID}
		if pd.A != nil {
			c.before = pd.A.State.State
		}
		if pd.B != nil {
			c.after = pd.B.State.State
		}
		got[fmt.Sprintf("%d/%s", c.port, c.proto)] = c
	}
	return got
}

type ndiffPort struct {
	Proto string `xml:"protocol,attr"`
	ID    int    `xml:"portid,attr"`
	State struct {
		State string `xml:"state,attr"`
	} `xml:"state"`
}

// listeners opens TCP listeners and UDP echo sockets on 127.0.0.1 in ns,
// closed when the test ends or by the returned function.
func listeners(t *testing.T, ns *netnstest.NS, tcp, udp []int) func() {
	var closers []func() error
	err := ns.Do(func() error {
		for _, p := range tcp {
			l, err := net.Listen("tcp4", "127.0.0.1:"+strconv.Itoa(p))
			if err != nil {
				return err
			}
			closers = append(closers, l.Close)
		}
		for _, p := range udp {
			c, err := net.ListenPacket("udp4", "127.0.0.1:"+strconv.Itoa(p))
			if err != nil {
				return err
			}
			go func() { // echo: nmap's empty probe gets an answer, so the port is open
				buf := make([]byte, 2048)
				for {
					n, from, err := c.ReadFrom(buf)
					if err != nil {
						return
					}
					c.WriteTo(buf[:n], from)
				}
			}()
			closers = append(closers, c.Close)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	closeAll := func() {
		for _, c := range closers {
			c()
		}
		closers = nil
	}
	t.Cleanup(closeAll)
	return closeAll
}

func nmap(t *testing.T, ns *netnstest.NS, out string) {
	t.Helper()
	cmd := ns.Command("nmap", "-n", "-Pn", "-sT", "-sU", "--max-retries", "1", "--max-rtt-timeout", "300ms",
		"-p", "T:1-1200,U:5000-5010", "-oX", out, "127.0.0.1")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nmap: %v\n%s", err, b)
	}
}

// TestAgainstNdiff scans a namespace's loopback with the real nmap twice,
// with listeners opened, closed and firewalled between the scans, and
// checks that ajar's diff of the two XML files finds the changes ndiff
// finds, port by port, with the same states.
func TestAgainstNdiff(t *testing.T) {
	requireTools(t, "nmap", "ndiff", "nft")
	ns := netnstest.New(t)
	ns.Run("sysctl", "-q", "-w", "net.ipv4.icmp_ratelimit=0") // closed UDP ports answer at once
	dir := t.TempDir()
	first := listeners(t, ns, []int{1001, 1002, 1003}, []int{5001})
	keep := listeners(t, ns, []int{1010}, nil)
	defer keep()
	a := filepath.Join(dir, "a.xml")
	nmap(t, ns, a)
	first()
	listeners(t, ns, []int{1001, 1003, 1004, 1005}, []int{5002})
	rules := filepath.Join(dir, "rules.nft")
	os.WriteFile(rules, []byte("table inet ajartest {\n chain in {\n  type filter hook input priority 0;\n  tcp dport 1003 drop\n }\n}\n"), 0o600)
	ns.Run("nft", "-f", rules)
	b := filepath.Join(dir, "b.xml")
	nmap(t, ns, b)

	want := ndiffChanges(t, a, b)
	fa, err := diff.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	fb, err := diff.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]portChange{}
	for _, c := range diff.Compare(diff.FromFile("a", fa), diff.FromFile("b", fb)) {
		if c.Proto == 0 || c.Kind == diff.Service {
			t.Errorf("unexpected change %+v", c)
			continue
		}
		got[fmt.Sprintf("%d/%s", c.Port, c.Proto)] = portChange{proto: c.Proto.String(), port: int(c.Port), before: c.Before, after: c.After}
	}
	// The changes made between the scans, as a check on the check.
	for _, k := range []string{"1002/tcp", "1003/tcp", "1004/tcp", "1005/tcp", "5001/udp", "5002/udp"} {
		if _, ok := want[k]; !ok {
			t.Errorf("ndiff does not report %s: the scans did not see the change made", k)
		}
	}
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		w, g := want[k], got[k]
		// ndiff leaves out the state of a port among the extraports:
		// ajar's diff gives the extraports' state there.
		if w.before == "" {
			w.before = g.before
		}
		if w.after == "" {
			w.after = g.after
		}
		if w != g {
			t.Errorf("%s: ndiff %s → %s, ajar %s → %s", k, w.before, w.after, g.before, g.after)
		}
	}
	t.Logf("%d port changes, the same as ndiff's: %s", len(got), strings.Join(keys, " "))
}

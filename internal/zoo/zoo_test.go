//go:build linux

package zoo

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/ajarsec/ajar/portspec"
)

var only = flag.String("only", "", "comma-separated daemons to start (default all)")

func options() Options {
	var o Options
	if *only != "" {
		o.Only = strings.Split(*only, ",")
	}
	return o
}

// TestZoo starts the whole zoo once and checks it in the usual layout,
// then in the shuffled one: from the scanner namespace every service
// answers on its port (TCP ports accept, UDP services reply to their
// protocol's request), and each speaks its protocol there and reveals the
// version the truth table says. No port is open that the table does not
// list, and no daemon died.
func TestZoo(t *testing.T) {
	z := Start(t, options())
	t.Logf("%d daemons, %d services up in %v", len(z.daemons), len(z.Services(Usual)), z.StartTime)
	if len(z.daemons) >= 25 && len(z.Services(Usual)) < 30 {
		t.Errorf("only %d services", len(z.Services(Usual)))
	}
	for _, l := range []Layout{Usual, Shuffled} {
		z.SetLayout(l)
		if z.Layout() != l {
			t.Fatalf("layout %v after SetLayout(%v)", z.Layout(), l)
		}
		t.Run(l.String(), func(t *testing.T) {
			checkServices(t, z, l)
		})
	}
	t.Run("no-stray-ports", func(t *testing.T) { checkNoStrayPorts(t, z) })
	if err := z.Check(); err != nil {
		t.Error(err)
	}
}

func checkServices(t *testing.T, z *Zoo, l Layout) {
	err := z.Bed.InScanner(func() error {
		for _, s := range z.Services(l) {
			what := fmt.Sprintf("%s (%s) on %d/%s", s.Name, s.Daemon, s.Port, s.Proto)
			if _, err := Probe(context.Background(), s, z.Addr()); err != nil {
				t.Errorf("%s: not reachable: %v", what, err)
				continue
			}
			if err := checkWire(context.Background(), s, z.Addr()); err != nil {
				t.Errorf("%s: %v", what, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkNoStrayPorts lists the target's sockets with ss: each one bound
// beyond loopback is in the truth table.
func checkNoStrayPorts(t *testing.T, z *Zoo) {
	out, err := z.TargetCommand("ss", "-H", "-l", "-n", "-t", "-u").Output()
	if err != nil {
		t.Fatalf("ss: %v", err)
	}
	known := map[string]bool{}
	for _, s := range z.Services(Usual) {
		known[fmt.Sprintf("%d/%s", s.Port, s.Proto)] = true
	}
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		i := strings.LastIndexByte(f[4], ':')
		host, port := strings.Trim(f[4][:i], "[]"), f[4][i+1:]
		if a, err := netip.ParseAddr(strings.Split(host, "%")[0]); err == nil && a.IsLoopback() {
			continue
		}
		if !known[port+"/"+f[0]] {
			t.Errorf("%s %s is open but not in the truth table", f[0], f[4])
		}
	}
}

func TestUpstreamVersion(t *testing.T) {
	for _, tt := range []struct{ deb, want string }{
		{"1:9.2p1-2+deb12u10", "9.2p1"},
		{"1.22.1-9+deb12u11", "1.22.1"},
		{"2.4.71-1~deb12u1", "2.4.71"},
		{"3.0.3-13+b2", "3.0.3"},
		{"4.96-15+deb12u10", "4.96"},
		{"1:2.3.19.1+dfsg1-2.1+deb12u7", "2.3.19.1"},
		{"5:7.0.15-1~deb12u10", "7.0.15"},
		{"1.6.18-1+deb12u1", "1.6.18"},
		{"15.18-0+deb12u1", "15.18"},
		{"1:10.11.19-0+deb12u1", "10.11.19"},
		{"2.0.11-1.2+deb12u2", "2.0.11"},
		{"2.90-4~deb12u2", "2.90"},
		{"5.9.3+dfsg-2+deb12u1", "5.9.3"},
		{"4.3-2+deb12u3", "4.3"},
		{"3.10.8-1.1+deb12u1", "3.10.8"},
		{"2.9.10-1+b3", "2.9.10"},
		{"2.5.13+dfsg-5", "2.5.13"},
		{"2:4.17.12+dfsg-0+deb12u4", "4.17.12"},
		{"1.12.0+dfsg-8", "1.12.0"},
		{"2:2.4-2+deb12u3", "2.4"},
		{"5.7-2+deb12u6", "5.7"},
		{"3.4.23-4+b4", "3.4.23"},
		{"2.6.12-1+deb12u4", "2.6.12"},
		{"26.1-1+deb12u1", "26.1"},
		{"0.12.3-1+deb12u1", "0.12.3"},
		{"3.5.0+ds1-0+deb12u1", "3.5.0"},
		{"1.2.6-6+b1", "1.2.6"},
		{"1.6.7~rc0-1+b13", "1.6.7~rc0"},
		{"1.5.0-1+b6", "1.5.0"},
		{"1.4.2+dfsg-7+b8", "1.4.2"},
		{"1.11.1-2.1+deb12u1", "1.11.1"},
		{"0.9.21.1-1+deb12u3", "0.9.21.1"},
		{"5.6.3-2", "5.6.3"},
		{"248+deb12u1", "248+deb12u1"}, // a native package: no revision
		{"", ""},
	} {
		if got := upstreamVersion(tt.deb); got != tt.want {
			t.Errorf("upstreamVersion(%q) = %q, want %q", tt.deb, got, tt.want)
		}
	}
}

// TestTruthTable derives the table from fixed package versions: every
// daemon of the catalog has its package's version, or none where it hides
// it.
func TestTruthTable(t *testing.T) {
	// Each package's upstream version is its own name, to see which
	// package each service's truth comes from.
	versions := map[string]string{}
	for _, d := range catalog() {
		for _, p := range []string{d.pkg, d.truthPkg} {
			versions[p] = "1:" + p + "+dfsg-4+deb12u5"
		}
	}
	table := truthTable(catalog(), versions)
	if n := len(catalog()); n < 25 {
		t.Errorf("%d daemons, want at least 25", n)
	}
	seen := map[string]bool{}
	for _, s := range table {
		key := strconv.Itoa(int(s.Port)) + "/" + s.Proto.String()
		if seen[key] {
			t.Errorf("%s twice", key)
		}
		seen[key] = true
		d := catalogDaemon(t, s.Daemon)
		want := cmp.Or(d.truthPkg, d.pkg)
		if d.reveal == "" || d.hideVersion {
			want = ""
		}
		if s.Version != want || s.Product == "" || s.Name == "" || !strings.Contains(s.Package, " ") {
			t.Errorf("%+v: want version %q", s, want)
		}
	}
	parsed, err := parseDpkgQuery([]byte("nginx\t1.22.1-9\tinstalled\nfoo\t1.0\tconfig-files\n"))
	if err != nil || len(parsed) != 1 || parsed["nginx"] != "1.22.1-9" {
		t.Errorf("parseDpkgQuery: %v %v", parsed, err)
	}
	if _, err := parseDpkgQuery([]byte("garbage\n")); err == nil {
		t.Error("parseDpkgQuery accepted a bad line")
	}
}

func catalogDaemon(t *testing.T, name string) *daemon {
	for _, d := range catalog() {
		if d.name == name {
			return d
		}
	}
	t.Fatalf("no daemon %q", name)
	return nil
}

// TestShuffle checks the shuffled layout of the catalog: the same ports,
// every service on a port whose usual service has another name, the same
// layout for the same seed, and a redirect for every moved port.
func TestShuffle(t *testing.T) {
	usual := truthTable(catalog(), map[string]string{})
	usualName := map[string]string{}
	for _, s := range usual {
		usualName[fmt.Sprintf("%d/%s", s.Port, s.Proto)] = s.Name
	}
	a, err := shuffle(usual, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := shuffle(usual, 1)
	c, _ := shuffle(usual, 2)
	if fmt.Sprint(a) != fmt.Sprint(b) || fmt.Sprint(a) == fmt.Sprint(c) {
		t.Error("the shuffle does not follow the seed")
	}
	if len(a) != len(usual) {
		t.Fatalf("%d services shuffled, %d usual", len(a), len(usual))
	}
	for _, s := range a {
		key := fmt.Sprintf("%d/%s", s.Port, s.Proto)
		if n, ok := usualName[key]; !ok || (n == s.Name) != unmoved[s.Daemon] {
			t.Errorf("%s (%s) shuffled to %s, usually %q", s.Name, s.Daemon, key, n)
		}
		delete(usualName, key)
	}
	if len(usualName) != 0 {
		t.Errorf("ports left without a service: %v", usualName)
	}
	rs := redirects(usual, a)
	script := natScript(rs)
	for _, r := range rs {
		if r.from == r.to {
			t.Errorf("redirect %d to itself", r.from)
		}
		if !strings.Contains(script, fmt.Sprintf("%s dport %d redirect to :%d\n", r.proto, r.from, r.to)) {
			t.Errorf("no rule for %+v in\n%s", r, script)
		}
	}
	if _, err := shuffle([]Service{{Name: "ssh", Proto: portspec.TCP, Port: 22}}, 1); err == nil {
		t.Error("a single service was shuffled")
	}
}

// TestZooReportsDeath kills a daemon of a running zoo: Check names it,
// with its log, and only once.
func TestZooReportsDeath(t *testing.T) {
	z := Start(t, Options{Only: []string{"memcached", "redis"}})
	if err := z.Check(); err != nil {
		t.Fatalf("fresh zoo: %v", err)
	}
	in := z.instance("memcached")
	if err := syscall.Kill(-in.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-in.done
	err := z.Check()
	if err == nil || !strings.Contains(err.Error(), "memcached exited early") ||
		!strings.Contains(err.Error(), "daemon.log") || strings.Contains(err.Error(), "redis") {
		t.Errorf("after killing memcached: %v", err)
	}
	if err := z.Check(); err != nil {
		t.Errorf("reported twice: %v", err)
	}
}

package sockets_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ajarsec/ajar/internal/netnstest"
	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/sockets"
)

// TestMain lets the test binary double as a helper process that holds a
// socket open: AJAR_TEST_HOLD=network,address listens there, prints the
// address and waits for its stdin to close.
func TestMain(m *testing.M) {
	if spec := os.Getenv("AJAR_TEST_HOLD"); spec != "" {
		os.Exit(hold(spec))
	}
	os.Exit(m.Run())
}

func hold(spec string) int {
	network, addr, _ := strings.Cut(spec, ",")
	var local net.Addr
	if strings.HasPrefix(network, "udp") {
		c, err := net.ListenPacket(network, addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer c.Close()
		local = c.LocalAddr()
	} else {
		l, err := net.Listen(network, addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer l.Close()
		local = l.Addr()
	}
	fmt.Println(local)
	io.Copy(io.Discard, os.Stdin)
	return 0
}

// startHolder runs a helper process inside ns holding one socket; it returns
// the helper's pid.
func startHolder(t *testing.T, ns *netnstest.NS, network, addr string) int {
	t.Helper()
	cmd := ns.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "AJAR_TEST_HOLD="+network+","+addr)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Wait() })
	if _, err := bufio.NewReader(stdout).ReadString('\n'); err != nil {
		t.Fatalf("helper holding %s %s did not start: %v", network, addr, err)
	}
	return cmd.Process.Pid // ip netns exec execs in place: same pid
}

// ssEntry is one socket as ss -e -p reports it.
type ssEntry struct {
	line string
	pids []int
}

var (
	ssInode = regexp.MustCompile(`\bino:(\d+)`)
	ssPid   = regexp.MustCompile(`\bpid=(\d+)`)
)

// ssSockets runs ss with flags inside ns and returns its sockets by inode.
func ssSockets(t *testing.T, ns *netnstest.NS, flags string) map[uint64]ssEntry {
	t.Helper()
	out := ns.Run("ss", "-H", "-n", "-e", "-p", flags)
	m := map[uint64]ssEntry{}
	for line := range strings.Lines(out) {
		mi := ssInode.FindStringSubmatch(line)
		if mi == nil {
			continue // sockets with no inode (time-wait) are not compared by inode
		}
		ino, _ := strconv.ParseUint(mi[1], 10, 64)
		e := ssEntry{line: strings.TrimSpace(line)}
		for _, mp := range ssPid.FindAllStringSubmatch(line, -1) {
			pid, _ := strconv.Atoi(mp[1])
			e.pids = append(e.pids, pid)
		}
		m[ino] = e
	}
	return m
}

// TestNetnsMatchesSS fills a namespace with sockets held by this process and
// by helper processes, then checks that List sees exactly the sockets ss
// sees there, with the same owners.
func TestNetnsMatchesSS(t *testing.T) {
	if _, err := exec.LookPath("ss"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("ss (Debian package iproute2) is needed and missing")
		}
		t.Skip("needs ss (Debian package iproute2)")
	}
	ns := netnstest.New(t)
	ns.Run("ip", "link", "add", "d0", "type", "veth", "peer", "name", "d1")
	ns.Run("ip", "link", "set", "d1", "up")
	ns.Run("ip", "addr", "add", "10.200.0.1/24", "dev", "d0")
	ns.Run("ip", "addr", "add", "fe80::1/64", "dev", "d0", "nodad")
	ns.Run("ip", "link", "set", "d0", "up")

	holders := map[string]int{
		"tcp 0.0.0.0:7001":    startHolder(t, ns, "tcp4", "0.0.0.0:7001"),
		"udp [::]:7002":       startHolder(t, ns, "udp", "[::]:7002"),
		"tcp 10.200.0.1:7003": startHolder(t, ns, "tcp4", "10.200.0.1:7003"),
	}
	var conns []io.Closer
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	err := ns.Do(func() error {
		for _, a := range []struct{ network, addr string }{
			{"tcp4", "127.0.0.1:7010"}, {"tcp6", "[::1]:7011"}, {"tcp6", "[::]:7012"},
			{"tcp6", "[fe80::1%d0]:7013"},
		} {
			l, err := net.Listen(a.network, a.addr)
			if err != nil {
				return err
			}
			conns = append(conns, l)
		}
		c, err := net.ListenPacket("udp4", "127.0.0.1:7014")
		if err != nil {
			return err
		}
		conns = append(conns, c)
		// One established connection, both ends in this process.
		d, err := net.Dial("tcp4", "127.0.0.1:7010")
		if err != nil {
			return err
		}
		conns = append(conns, d)
		s, err := conns[0].(net.Listener).Accept()
		if err != nil {
			return err
		}
		conns = append(conns, s)
		return nil
	})
	if err != nil {
		t.Fatalf("opening sockets in the namespace: %v", err)
	}
	// 127.0.0.1:7010 is shared with a child, as a pre-forking server
	// shares its listener: ss lists both pids, and so must ajar.
	shareWithChild(t, conns[0].(*net.TCPListener))

	ctx := context.Background()
	for _, mode := range []struct {
		name    string
		ssFlags string
		opts    sockets.Options
	}{
		{"listening", "-tul", sockets.Options{Netns: ns.Name}},
		{"all states", "-tua", sockets.Options{Netns: ns.Name, All: true}},
	} {
		want := ssSockets(t, ns, mode.ssFlags)
		snap, err := sockets.List(ctx, mode.opts)
		if err != nil {
			t.Fatalf("%s: %v", mode.name, err)
		}
		got := map[uint64]record.Socket{}
		for _, s := range snap.Sockets {
			if s.Inode != 0 {
				got[s.Inode] = s
			}
		}
		for ino, e := range want {
			s, ok := got[ino]
			if !ok {
				t.Errorf("%s: ss lists %q, ajar does not", mode.name, e.line)
				continue
			}
			if len(e.pids) > 0 && s.PID != slices.Min(e.pids) {
				t.Errorf("%s: %v %v owned by pid %d, ss says %v", mode.name, s.Proto, s.Local, s.PID, e.pids)
			}
			var holders []int
			for _, h := range s.Holders {
				holders = append(holders, h.PID)
			}
			if ssPids := slices.Compact(slices.Sorted(slices.Values(e.pids))); !slices.Equal(holders, ssPids) {
				t.Errorf("%s: %v %v held by %v, ss says %v", mode.name, s.Proto, s.Local, holders, ssPids)
			}
		}
		for ino, s := range got {
			if _, ok := want[ino]; !ok {
				t.Errorf("%s: ajar lists %v %v (inode %d), ss does not", mode.name, s.Proto, s.Local, ino)
			}
		}
		if mode.opts.All && len(got) != 10 || !mode.opts.All && len(got) != 8 {
			t.Errorf("%s: %d sockets in the namespace, want %d", mode.name, len(got), map[bool]int{true: 10, false: 8}[mode.opts.All])
		}
	}

	// Exposure and owners, checked against what the test set up. d1 has
	// only its automatic link-local IPv6 address, so only the IPv6
	// wildcards reach it.
	snap, err := sockets.List(ctx, sockets.Options{Netns: ns.Name})
	if err != nil {
		t.Fatal(err)
	}
	byPort := map[uint16]record.Socket{}
	for _, s := range snap.Sockets {
		byPort[s.Local.Port()] = s
	}
	checks := []struct {
		port     uint16
		exposure string // exposure and the interfaces it reaches, sorted
		pid      int
	}{
		{7001, "all d0,lo", holders["tcp 0.0.0.0:7001"]},
		{7002, "all d0,d1,lo", holders["udp [::]:7002"]},
		{7003, "address d0,lo", holders["tcp 10.200.0.1:7003"]},
		{7010, "loopback lo", os.Getpid()},
		{7011, "loopback lo", os.Getpid()},
		{7012, "all d0,d1,lo", os.Getpid()},
		{7013, "local-link d0", os.Getpid()},
		{7014, "loopback lo", os.Getpid()},
	}
	for _, c := range checks {
		s, ok := byPort[c.port]
		if !ok {
			t.Errorf("port %d not listed", c.port)
			continue
		}
		ifaces := slices.Sorted(slices.Values(s.Interfaces))
		if got := s.Exposure.String() + " " + strings.Join(ifaces, ","); got != c.exposure {
			t.Errorf("port %d: exposure %q, want %q", c.port, got, c.exposure)
		}
		if s.PID != c.pid {
			t.Errorf("port %d: pid %d, want %d", c.port, s.PID, c.pid)
		}
	}
	if s := byPort[7002]; !s.DualStack() {
		t.Errorf("udp [::]:7002 should be dual-stack")
	}
	if s := byPort[7012]; s.DualStack() {
		t.Errorf("tcp6 [::]:7012 should be v6-only")
	}
}

// shareWithChild starts a child process that holds l's socket until stop
// is called or the test ends.
func shareWithChild(t *testing.T, l *net.TCPListener) (pid int, stop func()) {
	t.Helper()
	f, err := l.File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	child := exec.Command("cat") // holds fd 3 until its stdin closes
	child.ExtraFiles = []*os.File{f}
	stdin, err := child.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil { // returns once the child has the socket
		t.Fatal(err)
	}
	var once sync.Once
	stop = func() { once.Do(func() { stdin.Close(); child.Wait() }) }
	t.Cleanup(stop)
	return child.Process.Pid, stop
}

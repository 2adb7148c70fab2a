//go:build linux

package netnstest

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// dialTimeout is how long a dial waits for a SYN that gets no answer.
const dialTimeout = 300 * time.Millisecond

// icmpWait is how long a dial waits where an ICMP error is due. On a veth
// pair the whole exchange runs inside the connect(2) call, so the ICMP
// answer finds the socket locked by it (TcpExt LockDroppedIcmps) and is
// kept only as a soft error. IPv4 still queues it on the error queue,
// which wakes the dialer at once; IPv6 does that only with IPV6_RECVERR,
// which Go's dialer does not set, so a Go dial over IPv6 hears the error
// only when the retransmitted SYN, after one second, gets a second ICMP.
// See TestErrQueueExperiment.
const icmpWait = 3 * time.Second

// errNoAnswer stands for a dial or read that timed out.
var errNoAnswer = errors.New("no answer")

// dialTCP connects once from the scanner to the target's port, and closes
// the connection if it was made.
func dialTCP(t *testing.T, b *Bed, network string, port uint16, timeout time.Duration) (took time.Duration, dialErr error) {
	t.Helper()
	err := b.InScanner(func() error {
		d := net.Dialer{Timeout: timeout}
		start := time.Now()
		c, err := d.DialContext(t.Context(), network, netip.AddrPortFrom(b.Addr(network), port).String())
		took = time.Since(start)
		if err == nil {
			return c.Close()
		}
		dialErr = err
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return took, dialErr
}

// sameError reports whether got is want: nil, errNoAnswer, or an errno.
func sameError(got, want error) bool {
	switch {
	case want == nil || got == nil:
		return got == want
	case want == errNoAnswer:
		var ne net.Error
		return errors.As(got, &ne) && ne.Timeout()
	}
	return errors.Is(got, want)
}

func TestBedTCP(t *testing.T) {
	b := NewBed(t)
	b.LiftICMPLimits()
	// Listeners behind every rule: the firewall answers before them.
	b.ListenTCP(8080, 9000, 9001, 9002, 9003, 9004)
	b.Firewall(
		Rule{Proto: "tcp", Ports: "9000", Action: "drop"},
		Rule{Proto: "tcp", Ports: "9001", Action: "reset"},
		Rule{Proto: "tcp", Ports: "9002", Action: "icmp-admin-prohibited"},
		Rule{Proto: "tcp", Ports: "9003", Action: "icmp-port-unreachable"},
		Rule{Proto: "tcp", Ports: "9004", Action: "icmp-host-unreachable"},
	)
	for _, tc := range []struct {
		name         string
		port         uint16
		wait         time.Duration
		want4, want6 error
	}{
		{"open", 8080, icmpWait, nil, nil},
		{"closed", 8081, icmpWait, syscall.ECONNREFUSED, syscall.ECONNREFUSED},
		{"drop", 9000, dialTimeout, errNoAnswer, errNoAnswer},
		{"reset", 9001, icmpWait, syscall.ECONNREFUSED, syscall.ECONNREFUSED},
		// ICMP 3/13 maps to EHOSTUNREACH; ICMPv6 1/1 to EACCES.
		{"icmp-admin-prohibited", 9002, icmpWait, syscall.EHOSTUNREACH, syscall.EACCES},
		{"icmp-port-unreachable", 9003, icmpWait, syscall.ECONNREFUSED, syscall.ECONNREFUSED},
		{"icmp-host-unreachable", 9004, icmpWait, syscall.EHOSTUNREACH, syscall.EHOSTUNREACH},
	} {
		for _, network := range []string{"tcp4", "tcp6"} {
			want := tc.want4
			if network == "tcp6" {
				want = tc.want6
			}
			t.Run(tc.name+"/"+network, func(t *testing.T) {
				took, err := dialTCP(t, b, network, tc.port, tc.wait)
				t.Logf("%s port %d: %v after %v", network, tc.port, err, took.Round(time.Microsecond))
				if !sameError(err, want) {
					t.Errorf("dial %s port %d: got %v, want %v", network, tc.port, err, want)
				}
			})
		}
	}
}

// exchangeUDP sends one datagram from the scanner to the target's port and
// waits up to dialTimeout for one back.
func exchangeUDP(t *testing.T, b *Bed, network string, port uint16) (reply string, readErr error) {
	t.Helper()
	err := b.InScanner(func() error {
		c, err := net.Dial(network, netip.AddrPortFrom(b.Addr(network), port).String())
		if err != nil {
			return err
		}
		defer c.Close()
		if err := c.SetDeadline(time.Now().Add(dialTimeout)); err != nil {
			return err
		}
		if _, err := c.Write([]byte("ajar")); err != nil {
			return err
		}
		buf := make([]byte, 64)
		n, rerr := c.Read(buf)
		reply, readErr = string(buf[:n]), rerr
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return reply, readErr
}

func TestBedUDP(t *testing.T) {
	b := NewBed(t)
	b.LiftICMPLimits()
	b.ListenUDP(7000, 7002, 7003, 7004, 7005)
	b.Firewall(
		Rule{Proto: "udp", Ports: "7002", Action: "drop"},
		Rule{Proto: "udp", Ports: "7003", Action: "icmp-port-unreachable"},
		Rule{Proto: "udp", Ports: "7004", Action: "icmp-admin-prohibited"},
		Rule{Proto: "udp", Ports: "7005", Action: "icmp-host-unreachable"},
	)
	for _, tc := range []struct {
		name         string
		port         uint16
		want4, want6 error
	}{
		{"echo", 7000, nil, nil},
		{"closed", 7001, syscall.ECONNREFUSED, syscall.ECONNREFUSED},
		{"drop", 7002, errNoAnswer, errNoAnswer},
		{"icmp-port-unreachable", 7003, syscall.ECONNREFUSED, syscall.ECONNREFUSED},
		{"icmp-admin-prohibited", 7004, syscall.EHOSTUNREACH, syscall.EACCES},
		// Without IP_RECVERR a connected UDP socket hears only "hard"
		// ICMP errors; host unreachable is soft in IPv4 and IPv6, so the
		// read just times out.
		{"icmp-host-unreachable", 7005, errNoAnswer, errNoAnswer},
	} {
		for _, network := range []string{"udp4", "udp6"} {
			want := tc.want4
			if network == "udp6" {
				want = tc.want6
			}
			t.Run(tc.name+"/"+network, func(t *testing.T) {
				reply, err := exchangeUDP(t, b, network, tc.port)
				t.Logf("%s port %d: reply %q, %v", network, tc.port, reply, err)
				if !sameError(err, want) {
					t.Errorf("%s port %d: got %v, want %v", network, tc.port, err, want)
				}
				if want == nil && reply != "ajar" {
					t.Errorf("%s port %d: reply %q, want the echo %q", network, tc.port, reply, "ajar")
				}
			})
		}
	}
}

func TestBedFirewallReplaces(t *testing.T) {
	b := NewBed(t)
	b.ListenTCP(8080)
	b.Firewall(Rule{Proto: "tcp", Ports: "1-65535", Action: "drop"})
	if _, err := dialTCP(t, b, "tcp4", 8080, dialTimeout); !sameError(err, errNoAnswer) {
		t.Fatalf("behind drop: %v, want a timeout", err)
	}
	b.Firewall(Rule{Proto: "tcp", Ports: "9000", Action: "reset"})
	if _, err := dialTCP(t, b, "tcp4", 8080, icmpWait); err != nil {
		t.Fatalf("after replacing the rules: %v, want a connection", err)
	}
	if _, err := dialTCP(t, b, "tcp6", 9000, icmpWait); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("port 9000 under reset: %v, want ECONNREFUSED", err)
	}
	b.Firewall()
	if _, err := dialTCP(t, b, "tcp6", 9000, icmpWait); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("no rules, nothing listening: %v, want ECONNREFUSED", err)
	}
	if out := b.Target.Run("nft", "list", "table", "inet", Table); strings.Contains(out, "reject") {
		t.Errorf("empty rule set left rules behind:\n%s", out)
	}
}

func TestBedFirewallRejected(t *testing.T) {
	b := NewBed(t)
	// A TCP reset for UDP is valid for Rule but not for nft.
	err := b.applyFirewall([]Rule{{Proto: "udp", Ports: "53", Action: "reset"}})
	if err == nil || !strings.Contains(err.Error(), "Error:") {
		t.Fatalf("reset on udp: got %v, want nft's error message", err)
	}
	t.Logf("nft said: %v", err)
}

func TestNFTScript(t *testing.T) {
	got, err := nftScript([]Rule{
		{Proto: "tcp", Ports: "20000-65535,22", Action: "drop"},
		{Proto: "udp", Ports: "", Action: "icmp-port-unreachable"},
		{Proto: "tcp", Ports: "-3", Action: "reset"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `table inet ajar_test
delete table inet ajar_test
table inet ajar_test {
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport { 22, 20000-65535 } drop
		meta l4proto udp reject with icmpx type port-unreachable
		tcp dport { 1-3 } reject with tcp reset
	}
}
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	for _, bad := range []Rule{
		{Proto: "tcp", Ports: "80", Action: "accept"},
		{Proto: "sctp", Ports: "80", Action: "drop"},
		{Proto: "tcp", Ports: "0", Action: "drop"},
		{Proto: "tcp", Ports: "80; flush ruleset", Action: "drop"},
	} {
		if s, err := nftScript([]Rule{bad}); err == nil {
			t.Errorf("%+v: no error, script\n%s", bad, s)
		}
	}
}

func TestBedAddresses(t *testing.T) {
	b := NewBed(t)
	for _, a := range []netip.Addr{b.ScannerAddr4, b.TargetAddr4} {
		if !netip.MustParsePrefix("10.0.0.0/8").Contains(a) {
			t.Errorf("%v is not in 10.0.0.0/8", a)
		}
	}
	for _, a := range []netip.Addr{b.ScannerAddr6, b.TargetAddr6} {
		if !netip.MustParsePrefix("fd00::/16").Contains(a) {
			t.Errorf("%v is not in fd00::/16", a)
		}
	}
	if len(b.ScannerLink) > 15 || len(b.TargetLink) > 15 {
		t.Errorf("link names %q %q longer than 15", b.ScannerLink, b.TargetLink)
	}
	// Each end holds its own addresses and nothing of the host's.
	for _, end := range []struct {
		ns     *NS
		link   string
		a4, a6 netip.Addr
	}{{b.Scanner, b.ScannerLink, b.ScannerAddr4, b.ScannerAddr6}, {b.Target, b.TargetLink, b.TargetAddr4, b.TargetAddr6}} {
		out := end.ns.Run("ip", "-o", "addr", "show", "dev", end.link)
		for _, p := range []netip.Prefix{netip.PrefixFrom(end.a4, 30), netip.PrefixFrom(end.a6, 64)} {
			if !strings.Contains(out, p.String()) {
				t.Errorf("%s in %s lacks %v:\n%s", end.link, end.ns.Name, p, out)
			}
		}
		if strings.Contains(out, "tentative") {
			t.Errorf("%s in %s has a tentative address:\n%s", end.link, end.ns.Name, out)
		}
	}
}

func TestSysctlPerNamespace(t *testing.T) {
	b := NewBed(t)
	const key = "net.ipv4.icmp_ratelimit"
	host, err := os.ReadFile("/proc/sys/net/ipv4/icmp_ratelimit")
	if err != nil {
		t.Fatal(err)
	}
	scanner := b.Scanner.ReadSysctl(key)
	b.Target.Run("sysctl", "-w", key+"=0")
	if got := b.Target.ReadSysctl(key); got != "0" {
		t.Errorf("target %s = %s after setting 0", key, got)
	}
	if got := b.Scanner.ReadSysctl(key); got != scanner {
		t.Errorf("scanner %s went from %s to %s when the target's was set", key, scanner, got)
	}
	after, err := os.ReadFile("/proc/sys/net/ipv4/icmp_ratelimit")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(host, after) {
		t.Errorf("host %s went from %s to %s", key, host, after)
	}
	t.Logf("%s: host %s, scanner %s, target 0", key, bytes.TrimSpace(host), scanner)
}

// netnsList is the host's list of named namespaces.
func netnsList(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("ip", "netns", "list").CombinedOutput()
	if err != nil {
		t.Fatalf("ip netns list: %v\n%s", err, out)
	}
	return string(out)
}

func assertGone(t *testing.T, names []string) {
	t.Helper()
	if len(names) == 0 {
		t.Fatal("no namespace names to check")
	}
	list := netnsList(t)
	for _, n := range names {
		if strings.Contains(list, n) {
			t.Errorf("namespace %s still exists after cleanup:\n%s", n, list)
		}
		if _, err := os.Stat("/run/netns/" + n); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("/run/netns/%s: %v, want it gone", n, err)
		}
	}
}

func TestBedCleanup(t *testing.T) {
	RequirePrivileges(t)
	var names []string
	t.Run("bed", func(t *testing.T) {
		b := NewBed(t)
		b.ListenTCP(8080)
		b.ListenUDP(7000)
		b.Firewall(Rule{Proto: "tcp", Ports: "9000", Action: "drop"})
		names = []string{b.Scanner.Name, b.Target.Name}
		if list := netnsList(t); !strings.Contains(list, names[0]) || !strings.Contains(list, names[1]) {
			t.Fatalf("namespaces %v not listed while in use:\n%s", names, list)
		}
	})
	assertGone(t, names)
}

// failingEnv makes TestBedFailing run, and fail, in a child process.
const failingEnv = "AJAR_NETNSTEST_FAIL"

// TestBedFailing builds a bed and fails (or panics), printing the bed's
// namespaces first; it runs only as TestBedCleanupAfterFailure's child.
func TestBedFailing(t *testing.T) {
	how := os.Getenv(failingEnv)
	if how == "" {
		t.Skip("runs only as a child of TestBedCleanupAfterFailure")
	}
	b := NewBed(t)
	b.ListenTCP(8080)
	b.Firewall(Rule{Proto: "tcp", Ports: "9000", Action: "drop"})
	os.Stdout.WriteString("NETNS " + b.Scanner.Name + "\nNETNS " + b.Target.Name + "\n")
	if how == "panic" {
		panic("failing on purpose")
	}
	t.Fatal("failing on purpose")
}

func TestBedCleanupAfterFailure(t *testing.T) {
	RequirePrivileges(t)
	for _, how := range []string{"fatal", "panic"} {
		t.Run(how, func(t *testing.T) {
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestBedFailing$", "-test.v")
			cmd.Env = append(os.Environ(), failingEnv+"="+how)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the failing test passed:\n%s", out)
			}
			var names []string
			sc := bufio.NewScanner(bytes.NewReader(out))
			for sc.Scan() {
				if n, ok := strings.CutPrefix(sc.Text(), "NETNS "); ok {
					names = append(names, n)
				}
			}
			if len(names) != 2 || !bytes.Contains(out, []byte("failing on purpose")) {
				t.Fatalf("child did not get as far as failing (%v):\n%s", err, out)
			}
			assertGone(t, names)
			if t.Failed() {
				t.Logf("child output:\n%s", out)
			}
		})
	}
}

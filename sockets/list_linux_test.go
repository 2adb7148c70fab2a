package sockets_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"os/user"
	"strings"
	"testing"

	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/sockets"
)

func selfComm(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// want describes one socket the test opened and what List must say of it.
type want struct {
	name      string
	proto     record.Proto
	local     netip.AddrPort
	state     record.SocketState
	exposure  record.Exposure
	dualStack bool
	listening bool // expected in the default (listening) listing
}

func addrPort(t *testing.T, a net.Addr) netip.AddrPort {
	t.Helper()
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		t.Fatal(err)
	}
	return ap
}

// openReal opens TCP and UDP sockets on every kind of address, and one
// established TCP connection, and returns what List must report for them.
func openReal(t *testing.T) []want {
	t.Helper()
	var ws []want
	listen := func(name, network, addr string, exp record.Exposure, dual bool) net.Listener {
		l, err := net.Listen(network, addr)
		if err != nil {
			t.Fatalf("listen %s %s: %v", network, addr, err)
		}
		t.Cleanup(func() { l.Close() })
		ws = append(ws, want{name, record.TCP, addrPort(t, l.Addr()), record.SocketListen, exp, dual, true})
		return l
	}
	bind := func(name, network, addr string, exp record.Exposure, dual bool) {
		c, err := net.ListenPacket(network, addr)
		if err != nil {
			t.Fatalf("listen %s %s: %v", network, addr, err)
		}
		t.Cleanup(func() { c.Close() })
		ws = append(ws, want{name, record.UDP, addrPort(t, c.LocalAddr()), record.SocketUnconn, exp, dual, true})
	}
	lo4 := listen("tcp 127.0.0.1", "tcp4", "127.0.0.1:0", record.ExposureLoopback, false)
	listen("tcp ::1", "tcp6", "[::1]:0", record.ExposureLoopback, false)
	listen("tcp 0.0.0.0", "tcp4", "0.0.0.0:0", record.ExposureAll, false)
	listen("tcp [::] dual-stack", "tcp", "[::]:0", record.ExposureAll, true)
	listen("tcp [::] v6-only", "tcp6", "[::]:0", record.ExposureAll, false)
	bind("udp 127.0.0.1", "udp4", "127.0.0.1:0", record.ExposureLoopback, false)
	bind("udp ::1", "udp6", "[::1]:0", record.ExposureLoopback, false)
	bind("udp 0.0.0.0", "udp4", "0.0.0.0:0", record.ExposureAll, false)
	bind("udp [::]", "udp", "[::]:0", record.ExposureAll, true)

	client, err := net.Dial("tcp4", lo4.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	server, err := lo4.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	ws = append(ws,
		want{"established client", record.TCP, addrPort(t, client.LocalAddr()), record.SocketEstablished, record.ExposureLoopback, false, false},
		want{"established server", record.TCP, addrPort(t, server.LocalAddr()), record.SocketEstablished, record.ExposureLoopback, false, false})
	return ws
}

func find(ss []record.Socket, w want) *record.Socket {
	for i := range ss {
		s := &ss[i]
		if s.Proto == w.proto && s.Local == w.local && s.State == w.state {
			return s
		}
	}
	return nil
}

func TestListRealSockets(t *testing.T) {
	ws := openReal(t)
	ctx := context.Background()
	all, err := sockets.List(ctx, sockets.Options{All: true, Cmdline: true})
	if err != nil {
		t.Fatal(err)
	}
	def, err := sockets.List(ctx, sockets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	comm := selfComm(t)
	for _, w := range ws {
		s := find(all.Sockets, w)
		if s == nil {
			t.Errorf("%s: %v %v not listed with All", w.name, w.proto, w.local)
			continue
		}
		if s.PID != os.Getpid() || s.Process != comm {
			t.Errorf("%s: owner pid %d %q, want %d %q", w.name, s.PID, s.Process, os.Getpid(), comm)
		}
		if s.User != me.Username {
			t.Errorf("%s: user %q, want %q", w.name, s.User, me.Username)
		}
		if s.Exposure != w.exposure || s.DualStack() != w.dualStack {
			t.Errorf("%s: exposure %v dual-stack %v, want %v %v", w.name, s.Exposure, s.DualStack(), w.exposure, w.dualStack)
		}
		if s.Inode == 0 || !strings.Contains(s.Cmdline, os.Args[0]) {
			t.Errorf("%s: inode %d cmdline %q", w.name, s.Inode, s.Cmdline)
		}
		if w.state == record.SocketEstablished && !s.Peer.IsValid() {
			t.Errorf("%s: no peer address", w.name)
		}
		inDefault := find(def.Sockets, w) != nil
		if inDefault != w.listening {
			t.Errorf("%s: in default listing = %v, want %v", w.name, inDefault, w.listening)
		}
	}
	if def.Hidden != 0 && os.Geteuid() == 0 {
		t.Errorf("root could not read %d processes", def.Hidden)
	}
	for i := 1; i < len(all.Sockets); i++ {
		a, b := all.Sockets[i-1].Local, all.Sockets[i].Local
		if a.Port() > b.Port() || (a.Port() == b.Port() && a.Addr().Compare(b.Addr()) > 0) {
			t.Fatalf("not sorted by port, then address: %v before %v", a, b)
		}
	}
}

func TestListOptions(t *testing.T) {
	ws := openReal(t)
	ctx := context.Background()
	cases := []struct {
		name string
		opts sockets.Options
		keep func(w want) bool
	}{
		{"tcp only", sockets.Options{NoUDP: true}, func(w want) bool { return w.proto == record.TCP }},
		{"udp only", sockets.Options{NoTCP: true}, func(w want) bool { return w.proto == record.UDP }},
		{"ipv4 only", sockets.Options{No6: true}, func(w want) bool { return w.local.Addr().Is4() }},
		{"ipv6 only", sockets.Options{No4: true}, func(w want) bool { return w.local.Addr().Is6() }},
	}
	for _, c := range cases {
		snap, err := sockets.List(ctx, c.opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range snap.Sockets {
			if c.opts.NoTCP && s.Proto == record.TCP || c.opts.NoUDP && s.Proto == record.UDP ||
				c.opts.No4 && s.Local.Addr().Is4() || c.opts.No6 && s.Local.Addr().Is6() {
				t.Errorf("%s: %v %v should be left out", c.name, s.Proto, s.Local)
			}
		}
		for _, w := range ws {
			if got := find(snap.Sockets, w) != nil; got != (w.listening && c.keep(w)) {
				t.Errorf("%s: %s listed = %v", c.name, w.name, got)
			}
		}
	}
	if _, err := sockets.List(ctx, sockets.Options{NoTCP: true, NoUDP: true}); err == nil {
		t.Error("leaving out both protocols is not an error")
	}
	if _, err := sockets.List(ctx, sockets.Options{No4: true, No6: true}); err == nil {
		t.Error("leaving out both families is not an error")
	}
}

func TestListNoSuchNetns(t *testing.T) {
	_, err := sockets.List(context.Background(), sockets.Options{Netns: "ajar-no-such-namespace"})
	if !errors.Is(err, sockets.ErrNoNetns) {
		t.Fatalf("error = %v, want ErrNoNetns", err)
	}
	_, err = sockets.List(context.Background(), sockets.Options{Netns: "/proc/self/status"})
	if err == nil {
		t.Fatal("a file that is no namespace was accepted")
	}
}

func TestFilter(t *testing.T) {
	ss := []record.Socket{
		{Local: netip.MustParseAddrPort("127.0.0.1:22"), PID: 10, Process: "sshd", Exposure: record.ExposureLoopback},
		{Local: netip.MustParseAddrPort("0.0.0.0:80"), PID: 20, Process: "nginx", Exposure: record.ExposureAll},
		{Local: netip.MustParseAddrPort("10.1.2.3:8080"), PID: 30, Process: "python3", Exposure: record.ExposureInterface},
	}
	count := func(f sockets.Filter) int {
		n := 0
		for i := range ss {
			if f.Match(&ss[i]) {
				n++
			}
		}
		return n
	}
	if n := count(sockets.Filter{}); n != 3 {
		t.Errorf("zero filter kept %d", n)
	}
	if n := count(sockets.Filter{Exposed: true}); n != 2 {
		t.Errorf("exposed kept %d", n)
	}
	if n := count(sockets.Filter{Process: "ssh"}); n != 1 {
		t.Errorf("process kept %d", n)
	}
	if n := count(sockets.Filter{PID: 30}); n != 1 {
		t.Errorf("pid kept %d", n)
	}
	if n := count(sockets.Filter{Ports: func(p uint16) bool { return p >= 80 }}); n != 2 {
		t.Errorf("ports kept %d", n)
	}
}

func TestProcessExists(t *testing.T) {
	ctx := context.Background()
	if ok, err := sockets.ProcessExists(ctx, os.Getpid()); !ok || err != nil {
		t.Errorf("own pid: %v, %v", ok, err)
	}
	if ok, _ := sockets.ProcessExists(ctx, 0); ok {
		t.Error("pid 0 exists")
	}
	if ok, err := sockets.ProcessExists(ctx, 1<<30); ok || err != nil {
		t.Errorf("pid 2^30: %v, %v", ok, err)
	}
}

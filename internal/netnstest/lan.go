//go:build linux

package netnstest

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// LAN is a switched test network: a scanner and several hosts, each in
// its own namespace with one link into a bridge that lives in a switch
// namespace. All share one IPv4 /24 and one IPv6 /64 (10.x.y.0/24 and
// fd00:…/64, random per LAN), which exist only inside those namespaces:
// nothing sent to them can leave. The scanner is .1 (::1), host i is
// .(10+i) (::(10+i) in hex); every other address of the subnets is
// nobody's.
type LAN struct {
	Switch, Scanner *NS
	Hosts           []*LANHost
	// Bridge is the bridge's name in the switch namespace: a capture
	// there sees every frame of the LAN.
	Bridge string
	// ScannerLink is the scanner's interface.
	ScannerLink                string
	Net4, Net6                 netip.Prefix
	ScannerAddr4, ScannerAddr6 netip.Addr

	t  testing.TB
	wg sync.WaitGroup // listener goroutines
}

// LANHost is one host of a LAN.
type LANHost struct {
	NS *NS
	// Link is the host's interface in its namespace.
	Link         string
	Addr4, Addr6 netip.Addr
	lan          *LAN
}

// lanLink is the name of each member's interface, inside its own
// namespace.
const lanLink = "lan0"

// NewLAN builds a LAN with the given number of hosts (at most 200), all
// with their addresses up and no firewall, and removes it when the test
// ends.
func NewLAN(t testing.TB, hosts int) *LAN {
	t.Helper()
	RequirePrivileges(t)
	if hosts < 0 || hosts > 200 {
		t.Fatalf("NewLAN: %d hosts, want 0 to 200", hosts)
	}
	var r [9]byte
	if _, err := rand.Read(r[:]); err != nil {
		t.Fatal(err)
	}
	id := hex.EncodeToString(r[:3])
	l := &LAN{Switch: New(t), Scanner: New(t), Bridge: "alb" + id, ScannerLink: lanLink, t: t}
	var a6 [16]byte
	binary.BigEndian.PutUint16(a6[0:], 0xfd00)
	copy(a6[2:8], r[3:9])
	l.Net4 = netip.PrefixFrom(netip.AddrFrom4([4]byte{10, r[3], r[4], 0}), 24)
	l.Net6 = netip.PrefixFrom(netip.AddrFrom16(a6), 64)
	l.ScannerAddr4, l.ScannerAddr6 = l.addr4(1), l.addr6(1)

	sw := l.Switch
	sw.Run("ip", "link", "add", l.Bridge, "type", "bridge", "stp_state", "0", "mcast_snooping", "0")
	sw.Run("ip", "link", "set", l.Bridge, "up")
	l.join(l.Scanner, "als"+id+"s", 100, l.ScannerAddr4, l.ScannerAddr6)
	for i := range hosts {
		h := &LANHost{NS: New(t), Link: lanLink, Addr4: l.addr4(10 + i), Addr6: l.addr6(10 + i), lan: l}
		l.join(h.NS, "als"+id+strconv.Itoa(i), 101+i, h.Addr4, h.Addr6)
		l.Hosts = append(l.Hosts, h)
	}
	if err := waitRunning(l.Scanner, lanLink); err != nil {
		t.Fatal(err)
	}
	for _, h := range l.Hosts {
		if err := waitRunning(h.NS, lanLink); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(l.wg.Wait) // before the namespaces go, after listeners close
	return l
}

func (l *LAN) addr4(host int) netip.Addr {
	b := l.Net4.Addr().As4()
	b[3] = byte(host)
	return netip.AddrFrom4(b)
}

func (l *LAN) addr6(host int) netip.Addr {
	b := l.Net6.Addr().As16()
	b[15] = byte(host)
	return netip.AddrFrom16(b)
}

// Unused4 and Unused6 are addresses of the LAN's subnets that no member
// holds, for hosts that do not exist.
func (l *LAN) Unused4(i int) netip.Addr { return l.addr4(230 + i) }

// Unused6 is Unused4 for IPv6.
func (l *LAN) Unused6(i int) netip.Addr { return l.addr6(230 + i) }

// join links ns into the bridge: a veth pair born in the switch with its
// other end moved straight into ns (never in the host's namespace), with
// distinct interface indexes so that both ends come up at once (see
// NewBed).
func (l *LAN) join(ns *NS, swLink string, index int, a4, a6 netip.Addr) {
	sw := l.Switch
	sw.Run("ip", "link", "add", swLink, "index", strconv.Itoa(index), "type", "veth",
		"peer", "name", lanLink, "index", strconv.Itoa(index+100), "netns", ns.Name)
	sw.Run("ip", "link", "set", swLink, "master", l.Bridge, "up")
	ns.Run("ip", "addr", "add", netip.PrefixFrom(a4, 24).String(), "dev", lanLink)
	ns.Run("ip", "addr", "add", netip.PrefixFrom(a6, 64).String(), "dev", lanLink, "nodad")
	ns.Sysctl("net.ipv6.conf."+lanLink+".accept_dad", "0")
	ns.Run("ip", "link", "set", lanLink, "up")
}

// Unaddress removes the host's IPv4 and IPv6 addresses: its namespace and
// link stay, but nothing answers for those addresses any more, not even
// ARP or NDP.
func (h *LANHost) Unaddress() {
	h.NS.Run("ip", "addr", "del", netip.PrefixFrom(h.Addr4, 24).String(), "dev", h.Link)
	h.NS.Run("ip", "addr", "del", netip.PrefixFrom(h.Addr6, 64).String(), "dev", h.Link)
}

// Input replaces the host's nftables input rules with rules, nft
// statements applied in order to the IPv4 and IPv6 packets it receives
// ("icmp type echo-request drop", "tcp dport != 443 drop"). ARP is not
// IP: no rule here touches it.
func (h *LANHost) Input(rules ...string) {
	h.lan.t.Helper()
	var s strings.Builder
	fmt.Fprintf(&s, "table inet %s\ndelete table inet %s\n", Table, Table)
	fmt.Fprintf(&s, "table inet %s {\n\tchain input {\n", Table)
	s.WriteString("\t\ttype filter hook input priority filter; policy accept;\n")
	for _, r := range rules {
		fmt.Fprintf(&s, "\t\t%s\n", r)
	}
	s.WriteString("\t}\n}\n")
	cmd := h.NS.Command("nft", "-f", "-")
	cmd.Stdin = strings.NewReader(s.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		h.lan.t.Fatalf("nft in %s: %v\n%s\nscript:\n%s", h.NS.Name, err, bytes.TrimSpace(out), s.String())
	}
}

// OnlyNeighbor makes the host drop every IP packet but neighbour
// discovery: it answers ARP (which is not IP) and NDP (which IPv6 cannot
// work without), and nothing else.
func (h *LANHost) OnlyNeighbor() {
	h.Input("icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept", "drop")
}

// ListenTCP opens TCP listeners in the host on 0.0.0.0 and [::] for each
// port; they accept and close every connection until the test ends.
func (h *LANHost) ListenTCP(ports ...uint16) {
	l := h.lan
	l.t.Helper()
	var ls []net.Listener
	err := h.NS.Do(func() error {
		for _, p := range ports {
			for _, hp := range listenAddrs("tcp", p) {
				ln, err := net.Listen(hp.network, hp.addr)
				if err != nil {
					return err
				}
				ls = append(ls, ln)
			}
		}
		return nil
	})
	l.t.Cleanup(func() {
		for _, ln := range ls {
			ln.Close()
		}
	})
	if err != nil {
		l.t.Fatalf("listening in %s: %v", h.NS.Name, err)
	}
	for _, ln := range ls {
		l.wg.Go(func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					if !errClosed(err) {
						l.t.Errorf("accepting on %v: %v", ln.Addr(), err)
					}
					return
				}
				c.Close()
			}
		})
	}
}

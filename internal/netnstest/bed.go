//go:build linux

package netnstest

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// Bed is a two-host test network: a scanner namespace and a target
// namespace joined by a veth pair. Its addresses (10.x.y.0/30 and
// fd00:…/64, random per bed) exist only inside those two namespaces, so
// nothing a test sends can leave them.
type Bed struct {
	Scanner, Target *NS

	// ScannerLink and TargetLink name the two ends of the veth pair, each
	// inside its own namespace.
	ScannerLink, TargetLink string

	ScannerAddr4, TargetAddr4 netip.Addr
	ScannerAddr6, TargetAddr6 netip.Addr

	t  testing.TB
	wg sync.WaitGroup // listener goroutines, waited for at cleanup
}

// linkUpTimeout bounds the wait for the veth pair to carry packets.
const linkUpTimeout = 5 * time.Second

// NewBed builds the two namespaces and the link between them, and removes
// everything when the test ends, also when it fails: deleting the
// namespaces closes the veth pair, listeners close before that.
func NewBed(t testing.TB) *Bed {
	t.Helper()
	RequirePrivileges(t)
	var r [10]byte
	if _, err := rand.Read(r[:]); err != nil {
		t.Fatal(err)
	}
	id := hex.EncodeToString(r[:4])
	b := &Bed{
		Scanner:     New(t),
		Target:      New(t),
		ScannerLink: "ajs-" + id, // IFNAMSIZ: at most 15 characters
		TargetLink:  "ajt-" + id,
		t:           t,
	}
	b.ScannerAddr4 = netip.AddrFrom4([4]byte{10, r[4], r[5], 1})
	b.TargetAddr4 = netip.AddrFrom4([4]byte{10, r[4], r[5], 2})
	var a6 [16]byte
	binary.BigEndian.PutUint16(a6[0:], 0xfd00)
	copy(a6[2:8], r[4:10])
	a6[15] = 1
	b.ScannerAddr6 = netip.AddrFrom16(a6)
	a6[15] = 2
	b.TargetAddr6 = netip.AddrFrom16(a6)

	// The pair is born inside the scanner namespace with its peer moved
	// straight to the target: it never exists in the host's namespace.
	// Distinct interface indexes make the kernel treat the pair's carrier
	// changes as urgent: with equal ones (2 and 2 in two fresh namespaces)
	// linkwatch batches them, and the second end comes up a second later.
	b.Scanner.Run("ip", "link", "add", b.ScannerLink, "index", "10", "type", "veth",
		"peer", "name", b.TargetLink, "index", "20", "netns", b.Target.Name)
	for _, end := range []struct {
		ns     *NS
		link   string
		a4, a6 netip.Addr
	}{
		{b.Scanner, b.ScannerLink, b.ScannerAddr4, b.ScannerAddr6},
		{b.Target, b.TargetLink, b.TargetAddr4, b.TargetAddr6},
	} {
		end.ns.Run("ip", "addr", "add", netip.PrefixFrom(end.a4, 30).String(), "dev", end.link)
		end.ns.Run("ip", "addr", "add", netip.PrefixFrom(end.a6, 64).String(), "dev", end.link, "nodad")
		// No duplicate detection for the link-local address either: it is
		// usable, not tentative, as soon as the link is up.
		end.ns.Sysctl("net.ipv6.conf."+end.link+".accept_dad", "0")
		end.ns.Run("ip", "link", "set", end.link, "up")
	}
	for _, end := range []struct {
		ns   *NS
		link string
	}{{b.Scanner, b.ScannerLink}, {b.Target, b.TargetLink}} {
		if err := waitRunning(end.ns, end.link); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(b.wg.Wait) // runs before the namespaces go, after listeners close
	return b
}

// waitRunning waits until the link is operationally up: until then the
// kernel may drop what is sent on it, and a test would see silence where
// it expected an answer.
func waitRunning(ns *NS, link string) error {
	deadline := time.Now().Add(linkUpTimeout)
	for {
		var flags net.Flags
		err := ns.Do(func() error {
			ifi, err := net.InterfaceByName(link)
			if err != nil {
				return err
			}
			flags = ifi.Flags
			return nil
		})
		if err != nil {
			return fmt.Errorf("link %s in %s: %w", link, ns.Name, err)
		}
		if flags&net.FlagRunning != 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("link %s in %s not running after %v (flags %v)", link, ns.Name, linkUpTimeout, flags)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// InScanner runs fn on a thread inside the scanner namespace: sockets it
// opens send from the scanner's addresses.
func (b *Bed) InScanner(fn func() error) error { return b.Scanner.Do(fn) }

// InTarget runs fn on a thread inside the target namespace.
func (b *Bed) InTarget(fn func() error) error { return b.Target.Do(fn) }

// Addr returns the target's address in the family of network ("tcp4",
// "udp6", …; anything not ending in 6 means IPv4).
func (b *Bed) Addr(network string) netip.Addr {
	if network != "" && network[len(network)-1] == '6' {
		return b.TargetAddr6
	}
	return b.TargetAddr4
}

// TargetLinkLocal returns the target's IPv6 link-local address on its
// end of the link, without a zone; the test fails if it has none.
func (b *Bed) TargetLinkLocal() netip.Addr {
	b.t.Helper()
	var ll netip.Addr
	err := b.InTarget(func() error {
		ifi, err := net.InterfaceByName(b.TargetLink)
		if err != nil {
			return err
		}
		addrs, err := ifi.Addrs()
		if err != nil {
			return err
		}
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().IsLinkLocalUnicast() {
				ll = p.Addr()
			}
		}
		return nil
	})
	if err != nil || !ll.IsValid() {
		b.t.Fatalf("no link-local address on the target: %v", err)
	}
	return ll
}

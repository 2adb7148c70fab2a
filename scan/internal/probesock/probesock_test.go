//go:build linux

package probesock

import (
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"
)

func TestDstSet(t *testing.T) {
	var d Dst
	sa, v6 := d.Set(netip.MustParseAddrPort("[::ffff:192.0.2.1]:80"))
	s4, ok := sa.(*unix.SockaddrInet4)
	if v6 || !ok || s4.Port != 80 || s4.Addr != [4]byte{192, 0, 2, 1} || d.Port(sa) != 80 {
		t.Errorf("mapped v4: %#v v6=%v", sa, v6)
	}
	sa, v6 = d.Set(netip.MustParseAddrPort("[2001:db8::1]:53"))
	s6, ok := sa.(*unix.SockaddrInet6)
	if !v6 || !ok || s6.Port != 53 || s6.Addr != netip.MustParseAddr("2001:db8::1").As16() || d.Port(sa) != 53 {
		t.Errorf("v6: %#v v6=%v", sa, v6)
	}
	sa, _ = d.Set(netip.MustParseAddrPort("[fe80::1%lo]:22"))
	if s6 := sa.(*unix.SockaddrInet6); s6.ZoneId == 0 {
		t.Error("zone lo not turned into an interface index")
	}
}

func TestOpen(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		s, err := Open(v6, unix.SOCK_DGRAM, "test")
		if err != nil {
			t.Fatal(err)
		}
		level, opt := unix.IPPROTO_IP, unix.IP_RECVERR
		if v6 {
			level, opt = unix.IPPROTO_IPV6, unix.IPV6_RECVERR
		}
		if v, err := unix.GetsockoptInt(s.FD, level, opt); err != nil || v != 1 {
			t.Errorf("v6=%v: RECVERR %d, %v", v6, v, err)
		}
		s.F.Close()
	}
}

func TestZoneID(t *testing.T) {
	for _, c := range []struct {
		addr string
		want uint32
		bad  bool
	}{
		{"2001:db8::1", 0, false},
		{"fe80::1%lo", 1, false}, // lo is interface 1 in every namespace
		{"fe80::1%7", 7, false},
		{"fe80::1%no-such-if", 0, true},
	} {
		got, err := ZoneID(netip.MustParseAddr(c.addr))
		if got != c.want || (err != nil) != c.bad {
			t.Errorf("ZoneID(%s) = %d, %v; want %d, error %v", c.addr, got, err, c.want, c.bad)
		}
	}
}

package sockets

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/ajarsec/ajar/record"
)

func TestExposure(t *testing.T) {
	tbl := ifaceTable{
		{index: 1, name: "lo", up: true, lo: true, addrs: []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1"), netip.MustParseAddr("192.0.2.99")}},
		{index: 2, name: "eth0", up: true, addrs: []netip.Addr{netip.MustParseAddr("192.0.2.7"), netip.MustParseAddr("fe80::7")}},
		{index: 3, name: "wg0", up: true, addrs: []netip.Addr{netip.MustParseAddr("2001:db8::7")}},
		{index: 4, name: "down0", up: false, addrs: []netip.Addr{netip.MustParseAddr("198.51.100.1")}},
	}
	e := newExposer(tbl)
	tests := []struct {
		addr    string
		v6only  bool
		ifIndex int
		want    record.Exposure
		ifaces  []string
	}{
		{addr: "127.0.0.1", want: record.ExposureLoopback, ifaces: []string{"lo"}},
		{addr: "127.0.0.53", want: record.ExposureLoopback, ifaces: []string{"lo"}},
		{addr: "::1", want: record.ExposureLoopback, ifaces: []string{"lo"}},
		{addr: "::ffff:127.0.0.1", want: record.ExposureLoopback, ifaces: []string{"lo"}},
		{addr: "0.0.0.0", want: record.ExposureAll, ifaces: []string{"lo", "eth0"}},
		{addr: "::", want: record.ExposureAll, ifaces: []string{"lo", "eth0", "wg0"}},
		{addr: "::", v6only: true, want: record.ExposureAll, ifaces: []string{"lo", "eth0", "wg0"}},
		// Bound to an address, not a device: every interface of its
		// family reaches it (the weak host model).
		{addr: "192.0.2.7", want: record.ExposureAddress, ifaces: []string{"lo", "eth0"}},
		{addr: "::ffff:192.0.2.7", want: record.ExposureAddress, ifaces: []string{"lo", "eth0"}},
		{addr: "2001:db8::7", want: record.ExposureAddress, ifaces: []string{"lo", "eth0", "wg0"}},
		{addr: "192.0.2.99", want: record.ExposureAddress, ifaces: []string{"lo", "eth0"}}, // an anycast address on lo
		{addr: "198.51.100.1", want: record.ExposureAddress, ifaces: nil},                  // on a down interface
		{addr: "192.0.2.7", ifIndex: 2, want: record.ExposureInterface, ifaces: []string{"eth0"}},
		{addr: "fe80::7", ifIndex: 2, want: record.ExposureLocalLink, ifaces: []string{"eth0"}},
		{addr: "0.0.0.0", ifIndex: 2, want: record.ExposureInterface, ifaces: []string{"eth0"}},
		{addr: "0.0.0.0", ifIndex: 1, want: record.ExposureLoopback, ifaces: []string{"lo"}},
		{addr: "203.0.113.9", want: record.ExposureAddress, ifaces: nil}, // freebind: no interface has it
		{addr: "169.254.1.1", want: record.ExposureLocalLink, ifaces: nil},
	}
	for _, tt := range tests {
		s := record.Socket{Local: netip.AddrPortFrom(netip.MustParseAddr(tt.addr), 80), V6Only: tt.v6only}
		e.set(&s, tt.ifIndex)
		if s.Exposure != tt.want || !slices.Equal(s.Interfaces, tt.ifaces) {
			t.Errorf("%s (v6only=%v, if=%d): exposure %v %v, want %v %v", tt.addr, tt.v6only, tt.ifIndex, s.Exposure, s.Interfaces, tt.want, tt.ifaces)
		}
	}
	// A v6-only wildcard reaches only interfaces with an IPv6 address.
	if !slices.Equal(e.all6, []string{"lo", "eth0", "wg0"}) || !slices.Equal(e.all4, []string{"lo", "eth0"}) {
		t.Errorf("all4 %v all6 %v", e.all4, e.all6)
	}
}

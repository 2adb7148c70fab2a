package sockets

import (
	"net/netip"
	"slices"
	"testing"
)

func TestExposure(t *testing.T) {
	tbl := ifaceTable{
		{index: 1, name: "lo", up: true, lo: true, addrs: []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")}},
		{index: 2, name: "eth0", up: true, addrs: []netip.Addr{netip.MustParseAddr("192.0.2.7"), netip.MustParseAddr("fe80::7")}},
		{index: 3, name: "wg0", up: true, addrs: []netip.Addr{netip.MustParseAddr("2001:db8::7")}},
		{index: 4, name: "down0", up: false, addrs: []netip.Addr{netip.MustParseAddr("198.51.100.1")}},
	}
	e := newExposer(tbl)
	tests := []struct {
		addr    string
		v6only  bool
		ifIndex int
		want    Exposure
		ifaces  []string
	}{
		{addr: "127.0.0.1", want: ExposureLoopback, ifaces: []string{"lo"}},
		{addr: "127.0.0.53", want: ExposureLoopback, ifaces: []string{"lo"}},
		{addr: "::1", want: ExposureLoopback, ifaces: []string{"lo"}},
		{addr: "::ffff:127.0.0.1", want: ExposureLoopback, ifaces: []string{"lo"}},
		{addr: "0.0.0.0", want: ExposureAll, ifaces: []string{"lo", "eth0"}},
		{addr: "::", want: ExposureAll, ifaces: []string{"lo", "eth0", "wg0"}},
		{addr: "::", v6only: true, want: ExposureAll, ifaces: []string{"lo", "eth0", "wg0"}},
		{addr: "192.0.2.7", want: ExposureInterface, ifaces: []string{"eth0"}},
		{addr: "2001:db8::7", want: ExposureInterface, ifaces: []string{"wg0"}},
		{addr: "fe80::7", ifIndex: 2, want: ExposureLocalLink, ifaces: []string{"eth0"}},
		{addr: "0.0.0.0", ifIndex: 2, want: ExposureInterface, ifaces: []string{"eth0"}},
		{addr: "0.0.0.0", ifIndex: 1, want: ExposureLoopback, ifaces: []string{"lo"}},
		{addr: "203.0.113.9", want: ExposureInterface, ifaces: nil}, // freebind: no interface has it
	}
	for _, tt := range tests {
		s := Socket{Local: netip.AddrPortFrom(netip.MustParseAddr(tt.addr), 80), V6Only: tt.v6only}
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

func TestTextRoundTrips(t *testing.T) {
	for s := Established; s <= NewSynRecv; s++ {
		b, _ := s.MarshalText()
		var back State
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Errorf("state %d: %q -> %v, %v", s, b, back, err)
		}
	}
	for e := ExposureUnknown; e <= ExposureAll; e++ {
		b, _ := e.MarshalText()
		var back Exposure
		if err := back.UnmarshalText(b); err != nil || back != e {
			t.Errorf("exposure %d: %q -> %v, %v", e, b, back, err)
		}
	}
	for _, p := range []Proto{TCP, UDP} {
		b, _ := p.MarshalText()
		var back Proto
		if err := back.UnmarshalText(b); err != nil || back != p {
			t.Errorf("proto %d: %q -> %v, %v", p, b, back, err)
		}
	}
	var p Proto
	if err := p.UnmarshalText([]byte("sctp")); err == nil {
		t.Error("sctp parsed as a protocol")
	}
}

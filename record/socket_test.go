package record_test

import (
	"net/netip"
	"testing"

	"github.com/ajarsec/ajar/record"
)

func TestSocketTextRoundTrips(t *testing.T) {
	for s := record.SocketEstablished; s <= record.SocketNewSynRecv; s++ {
		b, _ := s.MarshalText()
		var back record.SocketState
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Errorf("state %d: %q -> %v, %v", s, b, back, err)
		}
	}
	var st record.SocketState
	if err := st.UnmarshalText([]byte("state(0)")); err == nil {
		t.Error("state(0) parsed as a socket state")
	}
	for e := record.ExposureUnknown; e <= record.ExposureAll; e++ {
		b, _ := e.MarshalText()
		var back record.Exposure
		if err := back.UnmarshalText(b); err != nil || back != e {
			t.Errorf("exposure %d: %q -> %v, %v", e, b, back, err)
		}
	}
	var e record.Exposure
	if err := e.UnmarshalText([]byte("everywhere")); err == nil {
		t.Error("everywhere parsed as an exposure")
	}
	for _, p := range []record.Proto{record.TCP, record.UDP} {
		b, _ := p.MarshalText()
		var back record.Proto
		if err := back.UnmarshalText(b); err != nil || back != p {
			t.Errorf("proto %d: %q -> %v, %v", p, b, back, err)
		}
	}
	var p record.Proto
	if err := p.UnmarshalText([]byte("sctp")); err == nil {
		t.Error("sctp parsed as a protocol")
	}
}

func TestSocketKindAndHolders(t *testing.T) {
	var r record.Record = &record.Socket{}
	if r.Kind() != "socket" {
		t.Errorf("Kind() = %q", r.Kind())
	}
	s := record.Socket{PID: 812, Holders: []record.Holder{{PID: 812, Process: "nginx"}, {PID: 813, Process: "nginx"}}}
	for pid, want := range map[int]bool{812: true, 813: true, 814: false, 0: false} {
		if s.HeldBy(pid) != want {
			t.Errorf("HeldBy(%d) = %v, want %v", pid, !want, want)
		}
	}
	var orphan record.Socket
	if orphan.HeldBy(0) {
		t.Error("a socket no process holds is held by pid 0")
	}
}

func TestExposed(t *testing.T) {
	for e, want := range map[record.Exposure]bool{
		record.ExposureUnknown: false, record.ExposureLoopback: false, record.ExposureLocalLink: true,
		record.ExposureInterface: true, record.ExposureAddress: true, record.ExposureAll: true,
	} {
		if e.Exposed() != want {
			t.Errorf("%v.Exposed() = %v", e, !want)
		}
	}
	dual := record.Socket{Local: netip.MustParseAddrPort("[::]:80")}
	v6 := record.Socket{Local: netip.MustParseAddrPort("[::]:80"), V6Only: true}
	if !dual.DualStack() || v6.DualStack() {
		t.Error("DualStack wrong")
	}
}

package audit

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/ajarsec/ajar/record"
)

// TestWeigh: the example — Redis without a password is medium on
// 127.0.0.1 and critical on 0.0.0.0 — and each exposure's rule, with a
// reason that names the address and the severity found.
func TestWeigh(t *testing.T) {
	sock := func(addr string, e record.Exposure) *record.Socket {
		return &record.Socket{Proto: record.TCP, Local: netip.MustParseAddrPort(addr), State: record.SocketListen,
			Exposure: e, Device: "eth1"}
	}
	for _, tc := range []struct {
		sev    record.Severity
		cat    record.Category
		s      *record.Socket
		want   record.Severity
		reason string
	}{
		{record.Critical, record.NoAuth, sock("127.0.0.1:6379", record.ExposureLoopback), record.Medium, "loopback only"},
		{record.Critical, record.NoAuth, sock("0.0.0.0:6379", record.ExposureAll), record.Critical, "every address"},
		{record.Critical, record.NoAuth, sock("[::]:6379", record.ExposureAll), record.Critical, "[::]:6379"},
		{record.High, record.WeakTLS, sock("10.0.0.5:443", record.ExposureAddress), record.High, "route to that address"},
		{record.High, record.WeakSSH, sock("10.0.0.5:22", record.ExposureInterface), record.Medium, "through eth1 only"},
		{record.High, record.WeakSSH, sock("[::1]:22", record.ExposureLoopback), record.Low, "not high"},
		{record.Medium, record.NoAuth, sock("127.0.0.1:21", record.ExposureLoopback), record.Low, "loopback"},
		{record.High, record.Cleartext, sock("127.0.0.1:23", record.ExposureLoopback), record.Info, "loopback"},
		{record.Low, record.InfoLeak, sock("127.0.0.1:873", record.ExposureLoopback), record.Info, "loopback"},
		{record.Info, record.WeakTLS, sock("10.0.0.5:443", record.ExposureLocalLink), record.Info, "one step under"},
		{record.Medium, record.NoAuth, sock("10.0.0.5:1", record.ExposureUnknown), record.Medium, "unknown"},
	} {
		f := record.Finding{ID: "x", Category: tc.cat, Severity: tc.sev}
		Weigh(&f, tc.s)
		if f.Severity != tc.want || f.Exposure != tc.s.Exposure || !strings.Contains(f.SeverityReason, tc.reason) ||
			!strings.Contains(f.SeverityReason, tc.s.Local.String()) {
			t.Errorf("%v %s on %v (%v): %v %q, want %v with %q", tc.sev, tc.cat, tc.s.Local, tc.s.Exposure,
				f.Severity, f.SeverityReason, tc.want, tc.reason)
		}
	}
}

// TestListeners: one listener per process, protocol and port; wildcards
// reached over loopback (IPv4 first), the widest exposure kept; other
// states and scoped link-local addresses left out.
func TestListeners(t *testing.T) {
	s := func(proto record.Proto, addr string, pid int, st record.SocketState, e record.Exposure) record.Socket {
		return record.Socket{Proto: proto, Local: netip.MustParseAddrPort(addr), PID: pid, State: st, Exposure: e}
	}
	ls := Listeners([]record.Socket{
		s(record.TCP, "[::]:22", 10, record.SocketListen, record.ExposureAll),
		s(record.TCP, "0.0.0.0:22", 10, record.SocketListen, record.ExposureAll),
		s(record.TCP, "127.0.0.1:6379", 20, record.SocketListen, record.ExposureLoopback),
		s(record.TCP, "[::1]:6379", 20, record.SocketListen, record.ExposureLoopback),
		s(record.TCP, "10.0.0.5:8080", 30, record.SocketListen, record.ExposureAddress),
		s(record.TCP, "127.0.0.1:8080", 31, record.SocketListen, record.ExposureLoopback),
		s(record.UDP, "0.0.0.0:161", 40, record.SocketUnconn, record.ExposureAll),
		s(record.TCP, "10.0.0.5:5555", 50, record.SocketEstablished, record.ExposureAddress),
		s(record.TCP, "[fe80::1%eth0]:9", 60, record.SocketListen, record.ExposureLocalLink),
	})
	var got []string
	for _, l := range ls {
		got = append(got, l.Proto.String()+" "+l.Addr.String()+" "+l.Socket.Exposure.String())
	}
	want := []string{"tcp 127.0.0.1:22 all", "tcp 127.0.0.1:6379 loopback", "tcp 10.0.0.5:8080 address",
		"tcp 127.0.0.1:8080 loopback", "udp 127.0.0.1:161 all"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Listeners:\n got %q\nwant %q", got, want)
	}
}

// TestExposures: a port's findings are weighed by the socket of the
// listener reached at that address and protocol, and sorted worst first;
// a port no listener is behind (another protocol, another port) is left
// as it was.
func TestExposures(t *testing.T) {
	sock := func(addr string, e record.Exposure) record.Socket {
		return record.Socket{Proto: record.TCP, Local: netip.MustParseAddrPort(addr), State: record.SocketListen, Exposure: e}
	}
	ex := NewExposures(Listeners([]record.Socket{
		sock("127.0.0.1:6379", record.ExposureLoopback),
		sock("0.0.0.0:21", record.ExposureAll),
	}))
	findings := func() []record.Finding {
		return []record.Finding{
			{ID: "b", Category: record.InfoLeak, Severity: record.Low},
			{ID: "a", Category: record.NoAuth, Severity: record.Critical},
		}
	}
	lo := netip.MustParseAddr("127.0.0.1")
	redis := record.PortResult{Host: lo, Port: 6379, Proto: record.TCP, Findings: findings()}
	l, ok := ex.Weigh(&redis)
	if !ok || l.Socket.Local.Port() != 6379 {
		t.Fatalf("redis: listener %+v, %v", l, ok)
	}
	if f := redis.Findings; f[0].ID != "a" || f[0].Severity != record.Medium || f[0].Exposure != record.ExposureLoopback ||
		f[1].ID != "b" || f[1].Severity != record.Info {
		t.Errorf("redis findings: %+v", f)
	}
	ftp := record.PortResult{Host: lo, Port: 21, Proto: record.TCP, Findings: findings()}
	if _, ok := ex.Weigh(&ftp); !ok || ftp.Findings[0].Severity != record.Critical || ftp.Findings[0].Exposure != record.ExposureAll {
		t.Errorf("ftp on every address: %+v", ftp.Findings)
	}
	for _, p := range []record.PortResult{
		{Host: lo, Port: 6379, Proto: record.UDP, Findings: findings()},
		{Host: lo, Port: 6380, Proto: record.TCP, Findings: findings()},
	} {
		if _, ok := ex.Weigh(&p); ok || p.Findings[0].ID != "b" || p.Findings[1].Severity != record.Critical || p.Findings[1].SeverityReason != "" {
			t.Errorf("%v/%v, no listener behind it: %v, %+v", p.Port, p.Proto, ok, p.Findings)
		}
	}
}

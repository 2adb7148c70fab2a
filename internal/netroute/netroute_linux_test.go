package netroute

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func unhex(t testing.TB, h string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(h, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// littleEndian skips tests whose literal netlink bytes are in the byte
// order of most machines: netlink speaks the host's.
func littleEndian(t *testing.T) {
	t.Helper()
	var b [2]byte
	binary.NativeEndian.PutUint16(b[:], 1)
	if b[0] != 1 {
		t.Skip("literal netlink bytes are little-endian")
	}
}

func TestAppendRequest(t *testing.T) {
	littleEndian(t)
	tests := []struct {
		dst     string
		ifindex int
		want    string
	}{
		{"10.0.0.2", 0,
			// nlmsghdr: length 36, RTM_GETROUTE, NLM_F_REQUEST, seq 7, pid 0
			"24000000 1a00 0100 07000000 00000000" +
				// rtmsg: AF_INET, dst_len 32, the rest zero
				"02 20 00 00 00 00 00 00 00000000" +
				// RTA_DST: length 8, the address
				"0800 0100 0a000002"},
		{"::ffff:10.0.0.2", 0, // mapped: asked as IPv4
			"24000000 1a00 0100 07000000 00000000 02 20 00 00 00 00 00 00 00000000 0800 0100 0a000002"},
		{"fe80::1", 3,
			"38000000 1a00 0100 07000000 00000000" +
				"0a 80 00 00 00 00 00 00 00000000" +
				"1400 0100 fe800000000000000000000000000001" +
				// RTA_OIF: length 8, interface 3
				"0800 0400 03000000"},
	}
	for _, tt := range tests {
		prefix := []byte("kept")
		got := AppendRequest(prefix, netip.MustParseAddr(tt.dst), tt.ifindex, 7)
		if want := append([]byte("kept"), unhex(t, tt.want)...); string(got) != string(want) {
			t.Errorf("%s: %x, want %x", tt.dst, got, want)
		}
	}
}

var errAny = errors.New("any error")

func TestParseReply(t *testing.T) {
	littleEndian(t)
	tests := []struct {
		name  string
		hex   string
		route Route
		seq   uint32
		err   error // nil, an errno, or errAny
	}{
		{"a route with its source and interface",
			"44000000 1800 0000 07000000 00000000" + // RTM_NEWROUTE, seq 7
				"02 20 00 00 fe 00 00 01 00020000" + // AF_INET, /32, main table, unicast, cloned
				"0800 0f00 fe000000" + // RTA_TABLE 254
				"0800 0100 0a000002" + // RTA_DST
				"0800 0400 0a000000" + // RTA_OIF 10
				"0800 0700 0a000001" + // RTA_PREFSRC 10.0.0.1
				"0800 1900 00000000", // RTA_UID 0
			Route{Type: unix.RTN_UNICAST, Src: netip.MustParseAddr("10.0.0.1"), Ifindex: 10}, 7, nil},
		{"a route through a gateway",
			"2c000000 1800 0000 07000000 00000000" +
				"02 20 00 00 fe 00 00 01 00000000" +
				"0800 0500 0a0000fe" + // RTA_GATEWAY 10.0.0.254
				"0800 0400 03000000", // RTA_OIF 3
			Route{Type: unix.RTN_UNICAST, Ifindex: 3, Gateway: true}, 7, nil},
		{"a local route",
			"24000000 1800 0000 07000000 00000000 02 20 00 00 ff 00 fe 02 00000000 0800 0700 7f000001",
			Route{Type: unix.RTN_LOCAL, Src: netip.MustParseAddr("127.0.0.1")}, 7, nil},
		{"no route: ENETUNREACH",
			"24000000 0200 0000 08000000 00000000" + // NLMSG_ERROR, seq 8
				"9bffffff" + // -101
				"24000000 1a00 0100 08000000 00000000",
			Route{}, 8, unix.ENETUNREACH},
		{"a prohibit route: EACCES",
			"24000000 0200 0000 09000000 00000000 f3ffffff 24000000 1a00 0100 09000000 00000000",
			Route{}, 9, unix.EACCES},
		{"an acknowledgement", "24000000 0200 0000 09000000 00000000 00000000 24000000 1a00 0100 09000000 00000000", Route{}, 9, errAny},
		{"an IPv6 source on an IPv4 route is ignored",
			"30000000 1800 0000 07000000 00000000" +
				"02 20 00 00 fe 00 00 01 00000000" +
				"1400 0700 fe800000000000000000000000000001",
			Route{Type: unix.RTN_UNICAST}, 7, nil},
		{"an attribute longer than the message", "24000000 1800 0000 07000000 00000000 02200000fe000001 00000000 2000 0700 0a000001", Route{}, 7, errAny},
		{"an attribute shorter than its header", "24000000 1800 0000 07000000 00000000 02200000fe000001 00000000 0200 0700 0a000001", Route{}, 7, errAny},
		{"a message longer than the buffer", "ff000000 1800 0000 07000000 00000000", Route{}, 7, errAny},
		{"a short rtmsg", "18000000 1800 0000 07000000 00000000 02200000", Route{}, 7, errAny},
		{"a short header", "0800", Route{}, 0, errAny},
		{"another message type", "10000000 0300 0000 07000000 00000000", Route{}, 7, errAny},
	}
	for _, tt := range tests {
		r, seq, err := ParseReply(unhex(t, tt.hex))
		switch {
		case tt.err == errAny && err == nil:
			t.Errorf("%s: no error, route %+v", tt.name, r)
		case tt.err != errAny && !errors.Is(err, tt.err) && err != tt.err:
			t.Errorf("%s: error %v, want %v", tt.name, err, tt.err)
		case err == nil && r != tt.route:
			t.Errorf("%s: %+v, want %+v", tt.name, r, tt.route)
		}
		if seq != tt.seq {
			t.Errorf("%s: seq %d, want %d", tt.name, seq, tt.seq)
		}
	}
}

// TestGet asks this machine's kernel for the routes to its own loopback
// addresses: nothing is sent.
func TestGet(t *testing.T) {
	c, err := Open(4096)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Skip("no loopback interface named lo")
	}
	for _, a := range []string{"127.0.0.1", "127.1.2.3", "::1"} {
		dst := netip.MustParseAddr(a)
		r, err := c.Get(dst, 0)
		if errors.Is(err, unix.ENETUNREACH) && dst.Is6() {
			continue // IPv6 disabled
		}
		if err != nil {
			t.Errorf("%s: %v", a, err)
			continue
		}
		if r.Type != unix.RTN_LOCAL || !r.Src.IsLoopback() || r.Src.Is4() != dst.Is4() || r.Ifindex != lo.Index || r.Gateway {
			t.Errorf("%s: %+v, want a local route from a loopback source on interface %d", a, r, lo.Index)
		}
	}
}

// FuzzParseReply feeds the parser arbitrary messages: it must never
// panic, and an error comes with no route.
func FuzzParseReply(f *testing.F) {
	f.Add(unhex(f, "44000000 1800 0000 07000000 00000000 02200000fe000001 00020000 0800 0f00 fe000000 0800 0100 0a000002 0800 0400 0a000000 0800 0700 0a000001 0800 1900 00000000"))
	f.Add(unhex(f, "24000000 0200 0000 08000000 00000000 9bffffff 24000000 1a00 0100 08000000 00000000"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, _, err := ParseReply(b)
		if err != nil && r != (Route{}) {
			t.Fatalf("error %v with route %+v", err, r)
		}
		if r.Ifindex < 0 || (r.Src.IsValid() && r.Src.Is4In6()) {
			t.Fatalf("route %+v from %x", r, b)
		}
	})
}

func BenchmarkGet(b *testing.B) {
	c, err := Open(4096)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	dst := netip.MustParseAddr("127.0.0.1")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Get(dst, 0); err != nil {
			b.Fatal(err)
		}
	}
}

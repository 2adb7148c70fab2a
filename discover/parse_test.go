package discover

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net/netip"
	"strings"
	"syscall"
	"testing"

	"github.com/ajarsec/ajar/record"
)

// testKeys are the keys the literal packets below were made for: the
// cookie of 192.0.2.7 is d0bbe500ed613c1c (SYN sequence ed613c1c, ACK
// acknowledgement d0bbe500, timestamp sequence ed61), that of 2001:db8::7
// b73140f682f148b2.
var testKeys = keys{id: 0x1234, sport: 40000, secret: [2]uint64{1, 2}}

// unhex decodes hex with spaces in it, for packets written in parts.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func addrOrZero(s string) netip.Addr {
	if s == "" {
		return netip.Addr{}
	}
	return netip.MustParseAddr(s)
}

func TestCookies(t *testing.T) {
	k := testKeys
	a := netip.MustParseAddr("192.0.2.7")
	if k.cookie(a) != 0xd0bbe500ed613c1c || k.synSeq(a) != 0xed613c1c || k.ackAck(a) != 0xd0bbe500 || k.tsSeq(a) != 0xed61 {
		t.Errorf("cookie of %v: %x", a, k.cookie(a))
	}
	if k.cookie(netip.MustParseAddr("2001:db8::7")) != 0xb73140f682f148b2 {
		t.Error("IPv6 cookie changed")
	}
	if k.cookie(netip.MustParseAddr("::ffff:192.0.2.7")) != k.cookie(a) {
		t.Error("a mapped address has another cookie")
	}
	k2 := k
	k2.secret[1]++
	if k2.cookie(a) == k.cookie(a) {
		t.Error("the cookie does not depend on the secret")
	}
}

// The probes as they leave: checksums checked by an independent
// computation.
func TestProbes(t *testing.T) {
	k := testKeys
	src, dst := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.7")
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"echo", appendEcho(nil, false, k.id, 1, k.cookie(dst)), "0800 0690 1234 0001 d0bbe500ed613c1c"},
		{"echo6", appendEcho(nil, true, k.id, 1, k.cookie(dst)), "8000 0000 1234 0001 d0bbe500ed613c1c"},
		{"timestamp", appendTimestamp(nil, k.id, k.tsSeq(dst), 1000), "0d00 ef81 1234 ed61 000003e8 00000000 00000000"},
		{"syn", appendTCP(nil, src, dst, 40000, 443, k.synSeq(dst), 0, tcpSYN), "9c40 01bb ed613c1c 00000000 6002 0400 48a4 0000 020405b4"},
		{"arp", appendARPRequest(nil, record.MAC{2, 0, 0, 0, 0, 1}, src, dst), "0001 0800 06 04 0001 020000000001 c0000201 000000000000 c0000207"},
		{"ns", appendNeighSolicit(nil, netip.MustParseAddr("2001:db8::7"), record.MAC{2, 0, 0, 0, 0, 1}), "8700 0000 00000000 20010db8000000000000000000000007 0101 020000000001"},
	}
	for _, tt := range tests {
		if got := hex.EncodeToString(tt.got); got != strings.ReplaceAll(tt.want, " ", "") {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
	if got := solicitedNode(netip.MustParseAddr("2001:db8::aabb:ccdd")); got != netip.MustParseAddr("ff02::1:ffbb:ccdd") {
		t.Errorf("solicited-node address %v", got)
	}
}

func TestDecodeICMP4(t *testing.T) {
	tests := []struct {
		name       string
		pkt        string
		host, from string
		reason     record.Reason
		icmpErr    bool
		err        error
	}{
		{"echo reply", "45000024000000004001f6d0c0000207c0000201 00000e9012340001d0bbe500ed613c1c", "192.0.2.7", "192.0.2.7", record.ReasonEchoReply, false, nil},
		{"echo reply, other id", "45000024000000004001f6d0c0000207c0000201 00000e8f12350001d0bbe500ed613c1c", "", "", "", false, errNotOurs},
		{"echo reply, cookie of another host", "45000024000000004001f6cfc0000208c0000201 00000e9012340001d0bbe500ed613c1c", "", "", "", false, errNotOurs},
		{"echo reply, bad checksum", "45000024000000004001f6d0c0000207c0000201 00000e9012340001d0bbe500ed613c1d", "", "", "", false, errShort},
		{"timestamp reply", "45000028000000004001f6ccc0000207c0000201 0e00e6af1234ed61000003e8000003e9000003e9", "192.0.2.7", "192.0.2.7", record.ReasonTimestampReply, false, nil},
		{"host unreachable from a router, quoting our echo", "450000400000000040018e87c6336401c0000201 0301fcfe0000000045000024000000004001f6d0c0000201c00002070800069012340001d0bbe500ed613c1c", "192.0.2.7", "198.51.100.1", record.ReasonHostUnreach, true, nil},
		{"port unreachable from the host, quoting our SYN", "45000038000000004001f6bcc0000207c0000201 030335830000000045000028000000004006f6c7c0000201c00002079c4001bbed613c1c", "192.0.2.7", "192.0.2.7", record.ReasonPortUnreach, true, nil},
		{"unreachable quoting another program's SYN", "450000380000000040018e8fc6336401c0000201 030135840000000045000028000000004006f6c7c0000201c00002079c4101bbed613c1c", "", "", "", false, errNotOurs},
		{"truncated", "4500001c00000000", "", "", "", false, errShort},
		{"header length past the end", "4f000024000000004001f6d0c0000207c0000201", "", "", "", false, errShort},
		{"not ICMP", "45000014000000004011f6d0c0000207c0000201", "", "", "", false, errNotOurs},
	}
	k := testKeys
	for _, tt := range tests {
		a, err := k.decodeICMP4(unhex(t, tt.pkt))
		if !errors.Is(err, tt.err) {
			t.Errorf("%s: error %v, want %v", tt.name, err, tt.err)
			continue
		}
		want := answer{host: addrOrZero(tt.host), from: addrOrZero(tt.from), reason: tt.reason, icmpErr: tt.icmpErr}
		if err == nil && a != want {
			t.Errorf("%s: %+v, want %+v", tt.name, a, want)
		}
	}
}

func TestDecodeTCP4(t *testing.T) {
	tests := []struct {
		name   string
		pkt    string
		host   string
		reason record.Reason
		err    error
	}{
		{"SYN-ACK to our SYN", "45000028000000004006f6c7c0000207c0000201 01bb9c4011111111ed613c1d501204003e2d0000", "192.0.2.7", record.ReasonSynAck, nil},
		{"reset to our SYN", "45000028000000004006f6c7c0000207c0000201 01bb9c4000000000ed613c1d50140400604d0000", "192.0.2.7", record.ReasonReset, nil},
		{"reset to our ACK", "45000028000000004006f6c7c0000207c0000201 00509c40d0bbe5000000000050040400d58a0000", "192.0.2.7", record.ReasonReset, nil},
		{"SYN-ACK acknowledging something else", "45000028000000004006f6c7c0000207c0000201 01bb9c4011111111ed613c1c501204003e2e0000", "", "", errNotOurs},
		{"SYN-ACK to another port", "45000028000000004006f6c7c0000207c0000201 01bb9c4111111111ed613c1d501204003e2c0000", "", "", errNotOurs},
		{"truncated", "45000028000000004006f6c7c0000207c0000201 01bb9c40", "", "", errShort},
	}
	k := testKeys
	for _, tt := range tests {
		a, err := k.decodeTCP4(unhex(t, tt.pkt))
		if !errors.Is(err, tt.err) {
			t.Errorf("%s: error %v, want %v", tt.name, err, tt.err)
			continue
		}
		want := answer{host: addrOrZero(tt.host), from: addrOrZero(tt.host), reason: tt.reason}
		if err == nil && a != want {
			t.Errorf("%s: %+v, want %+v", tt.name, a, want)
		}
	}
}

func TestDecodeICMP6(t *testing.T) {
	const (
		host   = "2001:db8::7"
		router = "2001:db8::1"
		echo   = "8000 0000 1234 0001 b73140f682f148b2"
	)
	tests := []struct {
		name string
		from string
		msg  string
		want answer
		err  error
	}{
		{"echo reply", host, "8100 0000 1234 0001 b73140f682f148b2",
			answer{host: netip.MustParseAddr(host), from: netip.MustParseAddr(host), reason: record.ReasonEchoReply}, nil},
		{"echo reply of another program", host, "8100 0000 4321 0001 b73140f682f148b2", answer{}, errNotOurs},
		{"echo reply, cookie of another host", "2001:db8::8", "8100 0000 1234 0001 b73140f682f148b2", answer{}, errNotOurs},
		{"neighbour advertisement", "fe80::7", "8800 0000 60000000 20010db8000000000000000000000007 0201 020000000007",
			answer{host: netip.MustParseAddr(host), from: netip.MustParseAddr("fe80::7"), reason: record.ReasonNDAdvert, mac: record.MAC{2, 0, 0, 0, 0, 7}}, nil},
		{"advertisement without options", host, "8800 0000 60000000 20010db8000000000000000000000007",
			answer{host: netip.MustParseAddr(host), from: netip.MustParseAddr(host), reason: record.ReasonNDAdvert}, nil},
		{"advertisement with an empty option", host, "8800 0000 60000000 20010db8000000000000000000000007 0200 020000000007", answer{}, errShort},
		{"advertisement with an option past the end", host, "8800 0000 60000000 20010db8000000000000000000000007 0202 020000000007", answer{}, errShort},
		{"advertisement for a multicast address", host, "8800 0000 60000000 ff020000000000000000000000000001", answer{}, errShort},
		{"address unreachable from a router, quoting our echo", router,
			"0103 0000 00000000 60000000 0010 3a40 20010db8000000000000000000000001 20010db8000000000000000000000007 " + echo,
			answer{host: netip.MustParseAddr(host), from: netip.MustParseAddr(router), reason: record.ReasonHostUnreach, icmpErr: true}, nil},
		{"admin prohibited from the host, quoting our SYN", host,
			"0101 0000 00000000 60000000 0018 0640 20010db8000000000000000000000001 20010db8000000000000000000000007 9c40 01bb 82f148b2 00000000",
			answer{host: netip.MustParseAddr(host), from: netip.MustParseAddr(host), reason: record.ReasonAdminProhibited, icmpErr: true}, nil},
		{"unreachable quoting an extension header", router,
			"0103 0000 00000000 60000000 0010 0040 20010db8000000000000000000000001 20010db8000000000000000000000007 " + echo, answer{}, errNotOurs},
		{"unreachable quoting half a header", router, "0103 0000 00000000 60000000 0010 3a40", answer{}, errShort},
		{"truncated", host, "8100 0000", answer{}, errShort},
	}
	k := testKeys
	for _, tt := range tests {
		a, err := k.decodeICMP6(netip.MustParseAddr(tt.from), unhex(t, tt.msg))
		if !errors.Is(err, tt.err) {
			t.Errorf("%s: error %v, want %v", tt.name, err, tt.err)
			continue
		}
		if err == nil && a != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, a, tt.want)
		}
	}
}

func TestDecodeARP(t *testing.T) {
	tests := []struct {
		name string
		pkt  string
		want answer
		err  error
	}{
		{"reply", "0001 0800 06 04 0002 020000000007 c0000207 020000000001 c0000201",
			answer{host: netip.MustParseAddr("192.0.2.7"), from: netip.MustParseAddr("192.0.2.7"), reason: record.ReasonARPResponse, mac: record.MAC{2, 0, 0, 0, 0, 7}}, nil},
		{"request", "0001 0800 06 04 0001 020000000007 c0000207 000000000000 c0000201", answer{}, errNotOurs},
		{"reply from 0.0.0.0", "0001 0800 06 04 0002 020000000007 00000000 020000000001 c0000201", answer{}, errNotOurs},
		{"not Ethernet and IPv4", "0006 0800 06 04 0002 020000000007 c0000207 020000000001 c0000201", answer{}, errNotOurs},
		{"truncated", "0001 0800 06 04 0002 0200", answer{}, errShort},
	}
	for _, tt := range tests {
		a, err := decodeARP(unhex(t, tt.pkt))
		if !errors.Is(err, tt.err) || err == nil && a != tt.want {
			t.Errorf("%s: %+v, %v; want %+v, %v", tt.name, a, err, tt.want, tt.err)
		}
	}
}

func TestDecodePing(t *testing.T) {
	k := testKeys
	from := netip.MustParseAddr("192.0.2.7")
	// The kernel chose the identifier (abcd): only the cookie counts.
	a, err := k.decodePing(from, unhex(t, "0000 0000 abcd 0001 d0bbe500ed613c1c"))
	if err != nil || a.reason != record.ReasonEchoReply || a.host != from {
		t.Errorf("ping reply: %+v %v", a, err)
	}
	if _, err := k.decodePing(netip.MustParseAddr("192.0.2.8"), unhex(t, "0000 0000 abcd 0001 d0bbe500ed613c1c")); !errors.Is(err, errNotOurs) {
		t.Errorf("ping reply with another host's cookie: %v", err)
	}
}

// routeMsg builds a netlink message as the kernel would send it.
func routeMsg(typ uint16, seq uint32, body []byte) []byte {
	b := binary.NativeEndian.AppendUint32(nil, uint32(16+len(body)))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = binary.NativeEndian.AppendUint16(b, 0)
	b = binary.NativeEndian.AppendUint32(b, seq)
	b = binary.NativeEndian.AppendUint32(b, 0)
	return append(b, body...)
}

func rtAttr(typ uint16, v []byte) []byte {
	b := binary.NativeEndian.AppendUint16(nil, uint16(4+len(v)))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, v...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func TestParseRouteReply(t *testing.T) {
	const rtmNewRoute, nlmsgError = 24, 2
	rtmsg := []byte{2, 32, 0, 0, 254, 0, 0, 1, 0, 0, 0, 0} // AF_INET /32, main table, unicast
	body := append(append(append([]byte{}, rtmsg...), rtAttr(1, []byte{192, 0, 2, 7})...), rtAttr(4, []byte{3, 0, 0, 0})...)
	body = append(body, rtAttr(7, []byte{192, 0, 2, 1})...)
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("the literal attributes are little-endian")
	}
	rt, seq, err := parseRouteReply(routeMsg(rtmNewRoute, 7, body))
	if err != nil || seq != 7 || rt.ifindex != 3 || rt.src != netip.MustParseAddr("192.0.2.1") || !rt.onLink || rt.typ != 1 {
		t.Errorf("on-link route: %+v seq %d %v", rt, seq, err)
	}
	gw := append(append([]byte{}, body...), rtAttr(5, []byte{192, 0, 2, 254})...)
	if rt, _, err := parseRouteReply(routeMsg(rtmNewRoute, 8, gw)); err != nil || rt.onLink {
		t.Errorf("route through a gateway: %+v %v", rt, err)
	}
	errMsg := routeMsg(nlmsgError, 9, binary.NativeEndian.AppendUint32(make([]byte, 0, 20), ^uint32(syscall.ENETUNREACH)+1))
	if _, seq, err := parseRouteReply(errMsg); !errors.Is(err, syscall.ENETUNREACH) || seq != 9 {
		t.Errorf("no route: seq %d %v", seq, err)
	}
	for _, bad := range [][]byte{nil, {1, 2, 3}, routeMsg(rtmNewRoute, 1, []byte{2, 32})} {
		if _, _, err := parseRouteReply(bad); err == nil {
			t.Errorf("%x: no error", bad)
		}
	}
}

func TestMAC(t *testing.T) {
	m := record.MAC{0x02, 0xab, 0, 1, 0xff, 7}
	b, _ := m.MarshalText()
	if string(b) != "02:ab:00:01:ff:07" {
		t.Errorf("MarshalText: %s", b)
	}
	var back record.MAC
	if err := back.UnmarshalText(b); err != nil || back != m {
		t.Errorf("round trip: %v %v", back, err)
	}
	for _, bad := range []string{"02:ab:00:01:ff", "02-ab-00-01-ff-07", "0g:ab:00:01:ff:07"} {
		if err := back.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if (record.MAC{}).String() != "" {
		t.Error("the zero record.MAC prints")
	}
}

func TestStateText(t *testing.T) {
	for _, s := range []record.HostState{record.Up, record.Down} {
		b, _ := s.MarshalText()
		var back record.HostState
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Errorf("%v: %v %v", s, back, err)
		}
	}
	var s record.HostState
	if err := s.UnmarshalText([]byte("sideways")); err == nil {
		t.Error("no error for an unknown state")
	}
}

package udp

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ajarsec/ajar/record"
)

// cmsg builds one control message as the kernel lays it out.
func cmsg(level, typ int32, data []byte) []byte {
	b := make([]byte, unix.CmsgSpace(len(data)))
	if cmsgLenSize == 8 {
		binary.NativeEndian.PutUint64(b, uint64(unix.CmsgLen(len(data))))
	} else {
		binary.NativeEndian.PutUint32(b, uint32(unix.CmsgLen(len(data))))
	}
	binary.NativeEndian.PutUint32(b[cmsgLenSize:], uint32(level))
	binary.NativeEndian.PutUint32(b[cmsgLenSize+4:], uint32(typ))
	copy(b[unix.CmsgLen(0):], data)
	return b
}

// extErr builds a struct sock_extended_err and its offender.
func extErr(errno unix.Errno, origin, typ, code uint8, offender []byte) []byte {
	b := binary.NativeEndian.AppendUint32(nil, uint32(errno))
	b = append(b, origin, typ, code, 0)
	b = append(b, make([]byte, 8)...) // info, data
	return append(b, offender...)
}

func sockaddr4(a string, port uint16) []byte {
	b := binary.NativeEndian.AppendUint16(nil, unix.AF_INET)
	b = binary.BigEndian.AppendUint16(b, port)
	ip := netip.MustParseAddr(a).As4()
	b = append(b, ip[:]...)
	return append(b, make([]byte, 8)...)
}

func sockaddr6(a string, port uint16) []byte {
	b := binary.NativeEndian.AppendUint16(nil, unix.AF_INET6)
	b = binary.BigEndian.AppendUint16(b, port)
	b = append(b, 0, 0, 0, 0) // flow info
	ip := netip.MustParseAddr(a).As16()
	b = append(b, ip[:]...)
	return append(b, 0, 0, 0, 0) // scope
}

func TestParseErrQueue(t *testing.T) {
	other := cmsg(unix.SOL_SOCKET, unix.SCM_TIMESTAMP, make([]byte, 16))
	for _, c := range []struct {
		name string
		oob  []byte
		ok   bool
		want queuedErr
	}{
		{"ipv4 port unreachable",
			cmsg(unix.SOL_IP, unix.IP_RECVERR, extErr(unix.ECONNREFUSED, unix.SO_EE_ORIGIN_ICMP, 3, 3, sockaddr4("10.1.2.2", 0))),
			true, queuedErr{unix.ECONNREFUSED, unix.SO_EE_ORIGIN_ICMP, 3, 3, netip.MustParseAddr("10.1.2.2")}},
		{"ipv6 admin prohibited after another message",
			append(other, cmsg(unix.SOL_IPV6, unix.IPV6_RECVERR, extErr(unix.EACCES, unix.SO_EE_ORIGIN_ICMP6, 1, 1, sockaddr6("fd00::2", 0)))...),
			true, queuedErr{unix.EACCES, unix.SO_EE_ORIGIN_ICMP6, 1, 1, netip.MustParseAddr("fd00::2")}},
		{"local error, no offender",
			cmsg(unix.SOL_IP, unix.IP_RECVERR, extErr(unix.EMSGSIZE, unix.SO_EE_ORIGIN_LOCAL, 0, 0, nil)),
			true, queuedErr{errno: unix.EMSGSIZE, origin: unix.SO_EE_ORIGIN_LOCAL}},
		{"short extended error", cmsg(unix.SOL_IP, unix.IP_RECVERR, make([]byte, 15)), false, queuedErr{}},
		{"no RECVERR", other, false, queuedErr{}},
		{"truncated header", cmsg(unix.SOL_IP, unix.IP_RECVERR, extErr(1, 2, 3, 3, nil))[:8], false, queuedErr{}},
		{"length beyond the buffer", cmsg(unix.SOL_IP, unix.IP_RECVERR, extErr(1, 2, 3, 3, nil))[:20], false, queuedErr{}},
		{"empty", nil, false, queuedErr{}},
	} {
		got, ok := parseErrQueue(c.oob)
		if ok != c.ok || got != c.want {
			t.Errorf("%s: %+v %v, want %+v %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

func TestIcmpOutcome(t *testing.T) {
	dst4 := netip.MustParseAddrPort("10.1.2.2:53")
	dst6 := netip.MustParseAddrPort("[fd00::2]:53")
	for _, c := range []struct {
		e     queuedErr
		dst   netip.AddrPort
		state record.State
		r     record.Reason
	}{
		{queuedErr{origin: unix.SO_EE_ORIGIN_ICMP, typ: 3, code: 3, offender: dst4.Addr()}, dst4, record.Closed, record.ReasonPortUnreach},
		{queuedErr{origin: unix.SO_EE_ORIGIN_ICMP, typ: 3, code: 3, offender: netip.MustParseAddr("10.9.9.9")}, dst4, record.Filtered, record.ReasonPortUnreach},
		{queuedErr{origin: unix.SO_EE_ORIGIN_ICMP, typ: 3, code: 13}, dst4, record.Filtered, record.ReasonAdminProhibited},
		{queuedErr{origin: unix.SO_EE_ORIGIN_ICMP, typ: 3, code: 1}, dst4, record.Filtered, record.ReasonHostUnreach},
		{queuedErr{origin: unix.SO_EE_ORIGIN_ICMP, typ: 3, code: 0}, dst4, record.Filtered, record.ReasonNetUnreach},
		{queuedErr{origin: unix.SO_EE_ORIGIN_ICMP, typ: 3, code: 2}, dst4, record.Filtered, record.ReasonProtoUnreach},
		{queuedErr{origin: unix.SO_EE_ORIGIN_ICMP, typ: 11, code: 0}, dst4, record.Filtered, record.ReasonHostUnreach},
		{queuedErr{origin: unix.SO_EE_ORIGIN_ICMP6, typ: 1, code: 4, offender: dst6.Addr()}, dst6, record.Closed, record.ReasonPortUnreach},
		{queuedErr{origin: unix.SO_EE_ORIGIN_ICMP6, typ: 1, code: 1}, dst6, record.Filtered, record.ReasonAdminProhibited},
		{queuedErr{origin: unix.SO_EE_ORIGIN_ICMP6, typ: 1, code: 3}, dst6, record.Filtered, record.ReasonHostUnreach},
		{queuedErr{origin: unix.SO_EE_ORIGIN_ICMP6, typ: 1, code: 0}, dst6, record.Filtered, record.ReasonNetUnreach},
		{queuedErr{origin: unix.SO_EE_ORIGIN_ICMP6, typ: 4, code: 1}, dst6, record.Filtered, record.ReasonProtoUnreach},
	} {
		out := icmpOutcome(c.e, c.dst)
		if out.State != c.state || out.Reason != c.r {
			t.Errorf("%+v to %v: %v %v, want %v %v", c.e, c.dst, out.State, out.Reason, c.state, c.r)
		}
	}
}

func TestAbout(t *testing.T) {
	dst := netip.MustParseAddrPort("10.1.2.2:53")
	for _, c := range []struct {
		dest  string
		named bool
		want  bool
	}{
		{"10.1.2.2:53", true, true},
		{"10.1.2.2:54", true, false},
		{"10.1.2.3:53", true, false},
		{"[::ffff:10.1.2.2]:53", true, true},
		{"0.0.0.0:0", false, true},
	} {
		if got := about(netip.MustParseAddrPort(c.dest), c.named, dst); got != c.want {
			t.Errorf("%s (named %v): %v, want %v", c.dest, c.named, got, c.want)
		}
	}
}

func FuzzParseErrQueue(f *testing.F) {
	f.Add(cmsg(unix.SOL_IP, unix.IP_RECVERR, extErr(unix.ECONNREFUSED, unix.SO_EE_ORIGIN_ICMP, 3, 3, sockaddr4("10.1.2.2", 0))))
	f.Add(cmsg(unix.SOL_IPV6, unix.IPV6_RECVERR, extErr(unix.EACCES, unix.SO_EE_ORIGIN_ICMP6, 1, 1, sockaddr6("fd00::2", 0))))
	f.Add(cmsg(unix.SOL_SOCKET, unix.SCM_TIMESTAMP, make([]byte, 16)))
	f.Fuzz(func(t *testing.T, oob []byte) {
		e, ok := parseErrQueue(oob)
		if !ok && e != (queuedErr{}) {
			t.Errorf("not ok, but %+v", e)
		}
		if ok {
			out := icmpOutcome(e, netip.MustParseAddrPort("10.1.2.2:53"))
			if out.State != record.Closed && out.State != record.Filtered {
				t.Errorf("%+v: state %v", e, out.State)
			}
		}
	})
}

func FuzzParseSockaddr(f *testing.F) {
	f.Add(sockaddr4("10.1.2.2", 53))
	f.Add(sockaddr6("fd00::2", 53))
	f.Fuzz(func(t *testing.T, b []byte) {
		ap, ok := parseSockaddr(b)
		if ok != ap.IsValid() {
			t.Errorf("ok %v, address %v", ok, ap)
		}
	})
}

package sockets

import (
	"encoding/binary"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/ajarsec/ajar/record"
	"golang.org/x/sys/unix"
)

func unhex(t testing.TB, h string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(h), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// littleEndian skips tests whose literal netlink bytes are in the byte
// order of most machines: netlink speaks the host's.
func littleEndian(t testing.TB) {
	t.Helper()
	var b [2]byte
	binary.NativeEndian.PutUint16(b[:], 1)
	if b[0] != 1 {
		t.Skip("literal netlink bytes are little-endian")
	}
}

const zeros16 = "00000000 00000000 00000000 00000000"

func TestParseDiagMsg(t *testing.T) {
	littleEndian(t)
	tests := []struct {
		name    string
		proto   uint8
		msg     string
		local   string
		peer    string
		state   record.SocketState
		ifIndex int
		uid     uint32
		inode   uint64
		v6only  bool
	}{
		{"tcp 127.0.0.1:22 listening", unix.IPPROTO_TCP,
			// family AF_INET, state LISTEN, timer, retrans
			"02 0a 00 00" +
				// sport 22, dport 0 (big endian), src, dst, if, cookie
				"0016 0000 7f000001 000000000000000000000000 " + zeros16 + " 00000000 0000000000000000" +
				// expires, rqueue, wqueue, uid 1000, inode 12345
				"00000000 00000000 00000000 e8030000 39300000",
			"127.0.0.1:22", "", record.SocketListen, 0, 1000, 12345, false},
		{"udp [::]:8080 v6-only, bound to device 3", unix.IPPROTO_UDP,
			"0a 07 00 00 1f90 0000 " + zeros16 + " " + zeros16 + " 03000000 0000000000000000" +
				"00000000 00000000 00000000 00000000 01000000" +
				// INET_DIAG_SKV6ONLY: length 5, type 11, 1, padding
				"0500 0b00 01 000000",
			"[::]:8080", "", record.SocketUnconn, 3, 0, 1, true},
		{"tcp established, with a peer", unix.IPPROTO_TCP,
			"02 01 00 00 1538 c44b c0000207 000000000000000000000000 c0000209 000000000000000000000000" +
				" 00000000 0000000000000000 00000000 00000000 00000000 19000000 07000000" +
				// an attribute ajar does not read, then a truncated one
				"0800 0100 01020304 0900",
			"192.0.2.7:5432", "192.0.2.9:50251", record.SocketEstablished, 0, 25, 7, false},
	}
	for _, tt := range tests {
		var ds diagSocket
		if err := parseDiagMsg(unhex(t, tt.msg), tt.proto, &ds); err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		s := ds.Socket
		var peer string
		if s.Peer.IsValid() {
			peer = s.Peer.String()
		}
		if s.Local.String() != tt.local || peer != tt.peer || s.State != tt.state || ds.ifIndex != tt.ifIndex ||
			s.UID != tt.uid || s.Inode != tt.inode || s.V6Only != tt.v6only {
			t.Errorf("%s: %v peer %q state %v if %d uid %d inode %d v6only %v", tt.name,
				s.Local, peer, s.State, ds.ifIndex, s.UID, s.Inode, s.V6Only)
		}
		wantProto := record.TCP
		if tt.proto == unix.IPPROTO_UDP {
			wantProto = record.UDP
		}
		if s.Proto != wantProto {
			t.Errorf("%s: proto %v", tt.name, s.Proto)
		}
	}
	var ds diagSocket
	if err := parseDiagMsg(make([]byte, 71), unix.IPPROTO_TCP, &ds); err == nil {
		t.Error("a short message parsed")
	}
	bad := make([]byte, 72)
	bad[0] = 99
	if err := parseDiagMsg(bad, unix.IPPROTO_TCP, &ds); err == nil {
		t.Error("family 99 parsed")
	}
}

func TestParseLinkMsg(t *testing.T) {
	littleEndian(t)
	// family, pad, type ARPHRD_LOOPBACK, index 1, flags UP|LOOPBACK|
	// RUNNING|LOWER_UP, change; IFLA_IFNAME "lo" (padded), IFLA_MTU.
	lo := "00 00 0403 01000000 49000100 00000000 0700 0300 6c6f00 00 0800 0400 00000100"
	index, flags, name, err := parseLinkMsg(unhex(t, lo))
	if err != nil || index != 1 || flags&unix.IFF_UP == 0 || flags&unix.IFF_LOOPBACK == 0 || string(name) != "lo" {
		t.Errorf("lo: %d %#x %q %v", index, flags, name, err)
	}
	// a down veth, index 7, "a0" with no NUL (the kernel always sends one).
	index, flags, name, err = parseLinkMsg(unhex(t, "00 00 0100 07000000 02100000 00000000 0600 0300 6130 0000"))
	if err != nil || index != 7 || flags&unix.IFF_UP != 0 || string(name) != "a0" {
		t.Errorf("a0: %d %#x %q %v", index, flags, name, err)
	}
	for _, bad := range []string{
		"00 00 0403 01000000 49000100",                              // short
		"00 00 0403 01000000 49000100 00000000",                     // no name
		"00 00 0403 00000000 49000100 00000000 0700 0300 6c6f00 00", // index 0
		"00 00 0403 01000000 49000100 00000000 0900 0300 6c6f00 00", // attribute longer than the message
	} {
		if _, _, _, err := parseLinkMsg(unhex(t, bad)); err == nil {
			t.Errorf("%s parsed", bad)
		}
	}
}

func TestParseAddrMsg(t *testing.T) {
	littleEndian(t)
	tests := []struct {
		name  string
		msg   string
		index int
		addr  string // "" for none
	}{
		{"10.201.1.1/24 on 2",
			// AF_INET, prefix 24, IFA_F_PERMANENT, scope universe, index 2;
			// IFA_ADDRESS, IFA_LOCAL, IFA_LABEL "a0"
			"02 18 80 00 02000000 0800 0100 0ac90101 0800 0200 0ac90101 0700 0300 613000 00",
			2, "10.201.1.1"},
		{"point-to-point: the local end, not the peer",
			"02 20 80 00 05000000 0800 0100 0a000002 0800 0200 0a000001", 5, "10.0.0.1"},
		{"fe80::1/64 on 3", "0a 40 80 fd 03000000 1400 0100 fe800000000000000000000000000001", 3, "fe80::1"},
		{"2001:db8::7 on 4, IFA_LOCAL first", "0a 40 80 00 04000000 1400 0200 20010db8000000000000000000000007", 4, "2001:db8::7"},
		{"an IPv4 address of the wrong length", "02 18 80 00 02000000 0800 0100 0ac90101 0900 0200 0ac9010101 000000", 2, "10.201.1.1"},
		{"no address", "0a 40 80 00 04000000 0800 0800 00000000", 4, ""},
		{"another family", "11 00 00 00 04000000 0800 0100 0ac90101", 4, ""},
	}
	for _, tt := range tests {
		index, addr, ok, err := parseAddrMsg(unhex(t, tt.msg))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		got := ""
		if ok {
			got = addr.String()
		}
		if index != tt.index || got != tt.addr {
			t.Errorf("%s: index %d addr %q, want %d %q", tt.name, index, got, tt.index, tt.addr)
		}
	}
	if _, _, _, err := parseAddrMsg(unhex(t, "02 18 80 00")); err == nil {
		t.Error("a short message parsed")
	}
}

// The parsers read what the kernel sends; a fuzzed message may give an
// error, never a panic, and what they return must hold together.
func FuzzParseDiagMsg(f *testing.F) {
	f.Add(make([]byte, 72), uint8(unix.IPPROTO_TCP))
	f.Add(append(append([]byte{10, 10}, make([]byte, 70)...), 5, 0, 11, 0, 1), uint8(unix.IPPROTO_UDP))
	f.Fuzz(func(t *testing.T, m []byte, proto uint8) {
		var ds diagSocket
		if err := parseDiagMsg(m, proto, &ds); err == nil && !ds.Local.IsValid() {
			t.Errorf("no local address from %x", m)
		}
	})
}

func FuzzParseLinkMsg(f *testing.F) {
	f.Add([]byte("\x00\x00\x04\x03\x01\x00\x00\x00\x49\x00\x01\x00\x00\x00\x00\x00\x07\x00\x03\x00lo\x00\x00"))
	f.Fuzz(func(t *testing.T, m []byte) {
		index, _, name, err := parseLinkMsg(m)
		if err == nil && (index <= 0 || len(name) == 0 || strings.IndexByte(string(name), 0) >= 0) {
			t.Errorf("index %d name %q from %x", index, name, m)
		}
	})
}

func FuzzParseAddrMsg(f *testing.F) {
	f.Add([]byte("\x02\x18\x80\x00\x02\x00\x00\x00\x08\x00\x02\x00\x0a\xc9\x01\x01"))
	f.Add([]byte("\x0a\x40\x80\x00\x02\x00\x00\x00\x14\x00\x01\x00\xfe\x80\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"))
	f.Fuzz(func(t *testing.T, m []byte) {
		_, addr, ok, err := parseAddrMsg(m)
		if ok && (err != nil || !addr.IsValid() || addr.Is4() != (m[0] == unix.AF_INET)) {
			t.Errorf("addr %v ok %v err %v from %x", addr, ok, err, m)
		}
	})
}

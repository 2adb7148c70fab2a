package syn

import (
	"encoding/hex"
	"net/netip"
	"strings"
	"testing"

	"golang.org/x/net/bpf"
)

// replyVectors are literal packets, from the IP header on, as the packet
// socket delivers them: what parseReply makes of each (nil: refused), and
// whether the kernel filter for source ports 61000-65535 keeps it. The
// probes they answer went from 192.0.2.1:61000 to 192.0.2.2:80 with
// sequence number 0x01020304, and from [2001:db8::1]:61000 to
// [2001:db8::2]:443 with 0xfffffffe.
var replyVectors = []struct {
	name string
	hex  string
	want *reply
	keep bool
}{
	{"synack4", // a SYN-ACK to our SYN of seq 0x01020304, with 2 bytes of link padding
		"4500002c1234000040060000c0000202c00002010050ee48aabbccdd01020305" +
			"6012ffff00000000020405b40000",
		&reply{kind: replySynAck, local: netip.MustParseAddrPort("192.0.2.1:61000"), remote: netip.MustParseAddrPort("192.0.2.2:80"), seq: 0x01020304}, true},
	{"rst4", // a reset acknowledging it, padded to the Ethernet minimum
		"450000281234000040060000c0000202c00002010050ee480000000001020305" +
			"5014ffff00000000000000000000",
		&reply{kind: replyReset, local: netip.MustParseAddrPort("192.0.2.1:61000"), remote: netip.MustParseAddrPort("192.0.2.2:80"), seq: 0x01020304}, true},
	{"rstnoack4", // a reset without ACK answers no SYN
		"450000281234000040060000c0000202c00002010050ee480102030500000000" +
			"5004ffff00000000",
		nil, true},
	{"ack4", // a bare ACK
		"450000281234000040060000c0000202c00002010050ee480000000101020305" +
			"5010ffff00000000",
		nil, false},
	{"synfin4", // SYN and FIN together: not an answer
		"450000281234000040060000c0000202c00002010050ee480000000101020305" +
			"5013ffff00000000",
		nil, true},
	{"frag4", // a first fragment (more fragments set)
		"450000281234200040060000c0000202c00002010050ee480000000101020305" +
			"5012ffff00000000",
		nil, false},
	{"opts4", // an IPv4 header with options (IHL 6)
		"4600002c1234000040060000c0000202c0000201010101010050ee4800000001" +
			"010203055012ffff00000000",
		&reply{kind: replySynAck, local: netip.MustParseAddrPort("192.0.2.1:61000"), remote: netip.MustParseAddrPort("192.0.2.2:80"), seq: 0x01020304}, true},
	{"icmp4", // ICMP communication administratively prohibited from a router, quoting our SYN cut to 8 bytes of TCP
		"450000381234000040010000c6336401c0000201030d0000000000004500002c" +
			"1234000040060000c0000201c0000202ee48005001020304",
		&reply{kind: replyICMP, local: netip.MustParseAddrPort("192.0.2.1:61000"), remote: netip.MustParseAddrPort("192.0.2.2:80"), seq: 0x01020304, icmpType: 3, icmpCode: 13, from: netip.MustParseAddr("198.51.100.1")}, true},
	{"icmpecho4", // an ICMP echo reply
		"450000381234000040010000c0000202c000020100000000000000004500002c" +
			"1234000040060000c0000201c0000202ee48005001020304",
		nil, false},
	{"icmpudp4", // ICMP port unreachable quoting UDP
		"450000381234000040010000c0000202c000020103030000000000004500001c" +
			"1234000040110000c0000201c0000202ee48003500080000",
		nil, false},
	{"icmpshort4", // ICMP quoting only 6 bytes of TCP
		"450000361234000040010000c0000202c000020103030000000000004500002c" +
			"1234000040060000c0000201c0000202ee4800500102",
		nil, true},
	{"short4", // 19 bytes: no whole IPv4 header
		"4500002c1234000040060000c0000202c00002",
		nil, false},
	{"tcpcut4", // a TCP header cut at 12 bytes
		"450000201234000040060000c0000202c00002010050ee48aabbccdd01020305",
		nil, false},
	{"udp4", // a UDP datagram
		"4500001c1234000040110000c0000202c00002010035ee4800080000",
		nil, false},
	{"synack6", // an IPv6 SYN-ACK acknowledging 0xfffffffe+1 (wrapping to 0xffffffff)
		"600000000014064020010db800000000000000000000000220010db800000000" +
			"000000000000000101bbee4800000007ffffffff5012ffff00000000",
		&reply{kind: replySynAck, local: netip.MustParseAddrPort("[2001:db8::1]:61000"), remote: netip.MustParseAddrPort("[2001:db8::2]:443"), seq: 0xfffffffe}, true},
	{"rst6", // an IPv6 reset
		"600000000014064020010db800000000000000000000000220010db800000000" +
			"000000000000000101bbee4800000000ffffffff5014ffff00000000",
		&reply{kind: replyReset, local: netip.MustParseAddrPort("[2001:db8::1]:61000"), remote: netip.MustParseAddrPort("[2001:db8::2]:443"), seq: 0xfffffffe}, true},
	{"icmp6", // ICMPv6 administratively prohibited quoting our whole SYN
		"6000000000483a4020010db800000000000000000000000220010db800000000" +
			"00000000000000010101000000000000600000000018064020010db800000000" +
			"000000000000000120010db8000000000000000000000002ee4801bbfffffffe" +
			"000000006002ffff00000000020405b4",
		&reply{kind: replyICMP, local: netip.MustParseAddrPort("[2001:db8::1]:61000"), remote: netip.MustParseAddrPort("[2001:db8::2]:443"), seq: 0xfffffffe, icmpType: 1, icmpCode: 1, icmpV6: true, from: netip.MustParseAddr("2001:db8::2")}, true},
	{"icmp6short", // ICMPv6 quoting 7 bytes of TCP (the filter reads only the port)
		"6000000000373a4020010db800000000000000000000000220010db800000000" +
			"00000000000000010104000000000000600000000018064020010db800000000" +
			"000000000000000120010db8000000000000000000000002ee4801bbffffff",
		nil, true},
	{"icmp6ptb", // ICMPv6 packet too big: not an unreachable
		"6000000000483a4020010db800000000000000000000000220010db800000000" +
			"00000000000000010200000000000500600000000018064020010db800000000" +
			"000000000000000120010db8000000000000000000000002ee4801bbfffffffe" +
			"000000006002ffff00000000020405b4",
		nil, false},
	{"v5", // IP version 5
		"5000002c1234000040060000c0000202c00002010050ee48aabbccdd01020305" +
			"6012ffff00000000020405b40000",
		nil, false},
	{"empty", // nothing
		"",
		nil, false},
}

func vectorBytes(t testing.TB, h string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(h, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseReply(t *testing.T) {
	for _, v := range replyVectors {
		got, ok := parseReply(vectorBytes(t, v.hex))
		switch {
		case v.want == nil && ok:
			t.Errorf("%s: parsed as %+v, want refused", v.name, got)
		case v.want != nil && !ok:
			t.Errorf("%s: refused, want %+v", v.name, *v.want)
		case v.want != nil && got != *v.want:
			t.Errorf("%s: %+v, want %+v", v.name, got, *v.want)
		}
	}
}

func TestReplyFilter(t *testing.T) {
	prog, err := replyFilter(61000, 65535)
	if err != nil {
		t.Fatal(err)
	}
	vm, err := bpf.NewVM(prog)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range replyVectors {
		n, err := vm.Run(vectorBytes(t, v.hex))
		if err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
		if keep := n > 0; keep != v.keep {
			t.Errorf("%s: filter keeps %d bytes, want kept=%v", v.name, n, v.keep)
		}
		if n > 0 && n != snapLen {
			t.Errorf("%s: filter keeps %d bytes, want %d", v.name, n, snapLen)
		}
	}
	// Answers to other source ports are dropped.
	narrow, err := replyFilter(62000, 62010)
	if err != nil {
		t.Fatal(err)
	}
	vm, err = bpf.NewVM(narrow)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"synack4", "rst4", "synack6", "icmp6"} {
		for _, v := range replyVectors {
			if v.name != name {
				continue
			}
			if n, _ := vm.Run(vectorBytes(t, v.hex)); n != 0 {
				t.Errorf("%s to port 61000 kept by a filter for 62000-62010", name)
			}
		}
	}
	if _, err := replyFilter(2, 1); err == nil {
		t.Error("an empty port range made a filter")
	}
}

func TestBuildSYN(t *testing.T) {
	tests := []struct {
		src, dst string
		seq      uint32
		want     string
	}{
		{"192.0.2.1:61000", "192.0.2.2:80", 0x01020304,
			// IPv4: length 44, identification from the sequence number,
			// TTL 64, TCP, checksum left to the kernel.
			"4500002c 02060000 40060000 c0000201 c0000202" +
				// TCP: ports, sequence, no ack, 6 words, SYN, window 1024,
				// checksum, MSS 1460.
				"ee480050 01020304 00000000 60020400 1d840000 020405b4"},
		{"[2001:db8::1]:61000", "[2001:db8::2]:443", 0xfffffffe,
			"60000000 00180640 20010db8000000000000000000000001 20010db8000000000000000000000002" +
				"ee4801bb fffffffe 00000000 60020400 48af0000 020405b4"},
		{"[::ffff:192.0.2.1]:61000", "[::ffff:192.0.2.2]:80", 0x01020304, // mapped: IPv4
			"4500002c 02060000 40060000 c0000201 c0000202" +
				"ee480050 01020304 00000000 60020400 1d840000 020405b4"},
	}
	for _, tt := range tests {
		var b [maxSYNLen]byte
		n := buildSYN(b[:], netip.MustParseAddrPort(tt.src), netip.MustParseAddrPort(tt.dst), tt.seq)
		if got, want := b[:n], vectorBytes(t, tt.want); string(got) != string(want) {
			t.Errorf("%s > %s:\n got %x\nwant %x", tt.src, tt.dst, got, want)
		}
	}
}

// TestBuildParse builds a SYN, answers it as a host would, and parses the
// answer back to the probe's addresses and sequence number.
func TestBuildParse(t *testing.T) {
	for _, p := range [][2]string{{"10.0.0.1:61234", "10.0.0.2:22"}, {"[fd00::1]:65535", "[fd00::2]:1"}} {
		src, dst := netip.MustParseAddrPort(p[0]), netip.MustParseAddrPort(p[1])
		var b [maxSYNLen]byte
		n := buildSYN(b[:], src, dst, 0xdeadbeef)
		ans := answerTo(b[:n], tcpSYN|tcpACK)
		r, ok := parseReply(ans)
		if !ok || r.kind != replySynAck || r.local != src || r.remote != dst || r.seq != 0xdeadbeef {
			t.Errorf("%v > %v: answer parsed as %+v, %v", src, dst, r, ok)
		}
		if tcpChecksumOK(b[:n]) == false {
			t.Errorf("%v > %v: bad TCP checksum", src, dst)
		}
	}
}

// answerTo turns a SYN built by buildSYN into the answer a host gives:
// addresses and ports swapped, ack = seq+1, the given flags.
func answerTo(syn []byte, flags byte) []byte {
	b := append([]byte(nil), syn...)
	hl, alen, off := ipv4HeaderLen, 4, 12
	if b[0]>>4 == 6 {
		hl, alen, off = ipv6HeaderLen, 16, 8
	}
	for i := range alen {
		b[off+i], b[off+alen+i] = b[off+alen+i], b[off+i]
	}
	tcp := b[hl:]
	tcp[0], tcp[1], tcp[2], tcp[3] = tcp[2], tcp[3], tcp[0], tcp[1]
	seq := uint32(tcp[4])<<24 | uint32(tcp[5])<<16 | uint32(tcp[6])<<8 | uint32(tcp[7])
	ack := seq + 1
	tcp[8], tcp[9], tcp[10], tcp[11] = byte(ack>>24), byte(ack>>16), byte(ack>>8), byte(ack)
	tcp[13] = flags
	return b
}

// tcpChecksumOK checks the TCP checksum of an IP packet: the sum over
// the pseudo-header and the segment, checksum included, is 0xffff.
func tcpChecksumOK(pkt []byte) bool {
	var src, dst netip.Addr
	var seg []byte
	if pkt[0]>>4 == 4 {
		src, dst, seg = netip.AddrFrom4([4]byte(pkt[12:16])), netip.AddrFrom4([4]byte(pkt[16:20])), pkt[20:]
	} else {
		src, dst, seg = netip.AddrFrom16([16]byte(pkt[8:24])), netip.AddrFrom16([16]byte(pkt[24:40])), pkt[40:]
	}
	return tcpChecksum(src, dst, seg) == 0
}

func BenchmarkBuildSYN(b *testing.B) {
	b.ReportAllocs()
	var buf [maxSYNLen]byte
	src, dst := netip.MustParseAddrPort("[2001:db8::1]:61000"), netip.MustParseAddrPort("[2001:db8::2]:80")
	for b.Loop() {
		buildSYN(buf[:], src, dst, 1)
	}
}

func BenchmarkParseReply(b *testing.B) {
	b.ReportAllocs()
	pkts := [][]byte{vectorBytes(b, replyVectors[0].hex), vectorBytes(b, replyVectors[7].hex)}
	for b.Loop() {
		for _, p := range pkts {
			if _, ok := parseReply(p); !ok {
				b.Fatal("refused")
			}
		}
	}
}

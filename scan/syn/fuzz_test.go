package syn

import (
	"net/netip"
	"testing"

	"golang.org/x/net/bpf"
)

// FuzzParseReply feeds parseReply hostile packets: it must never panic,
// what it accepts must be consistent, and the kernel filter must keep
// every packet it would accept for a source port in the filter's range
// (the filter may keep more, never less).
func FuzzParseReply(f *testing.F) {
	for _, v := range replyVectors {
		f.Add(vectorBytes(f, v.hex))
	}
	var syn4, syn6 [maxSYNLen]byte
	n4 := buildSYN(syn4[:], netip.MustParseAddrPort("10.0.0.1:61000"), netip.MustParseAddrPort("10.0.0.2:80"), 1)
	n6 := buildSYN(syn6[:], netip.MustParseAddrPort("[fd00::1]:61000"), netip.MustParseAddrPort("[fd00::2]:80"), 1)
	f.Add(answerTo(syn4[:n4], tcpSYN|tcpACK))
	f.Add(answerTo(syn6[:n6], tcpRST|tcpACK))
	prog, err := replyFilter(61000, 65535)
	if err != nil {
		f.Fatal(err)
	}
	vm, err := bpf.NewVM(prog)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, ok := parseReply(b)
		if !ok {
			if r != (reply{}) {
				t.Fatalf("refused, but returned %+v", r)
			}
			return
		}
		if r.kind < replySynAck || r.kind > replyICMP || !r.local.IsValid() || !r.remote.IsValid() ||
			r.local.Addr().Is4() != r.remote.Addr().Is4() {
			t.Fatalf("accepted an inconsistent reply %+v", r)
		}
		if (r.kind == replyICMP) != r.from.IsValid() {
			t.Fatalf("ICMP sender %v for kind %d", r.from, r.kind)
		}
		if r.local.Port() < 61000 {
			return
		}
		if n, err := vm.Run(b); err != nil || n == 0 {
			t.Fatalf("accepted %+v, but the kernel filter drops it (%d, %v)", r, n, err)
		}
	})
}

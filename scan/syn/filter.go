package syn

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// snapLen is how much of a packet the filter keeps: every header parseReply
// reads fits (an ICMP error's outer and quoted IPv4 headers with options
// are 136 bytes at most).
const snapLen = 256

// replyFilter is the classic BPF program the kernel runs on every packet
// the receive socket could see, from the network header on (an AF_PACKET
// SOCK_DGRAM socket): it keeps only what may answer a SYN from a source
// port in [lo, hi]:
//
//   - TCP to a port in [lo, hi] with RST set, or SYN and ACK set
//     (unfragmented IPv4, or IPv6 with TCP as its first next header);
//   - ICMP destination unreachable quoting a TCP packet;
//   - ICMPv6 destination unreachable quoting a TCP packet from a port in
//     [lo, hi] (the quoted header has a fixed size there).
//
// Everything it keeps is checked again, and against the cookie, by the
// receiver: the filter only spares it the rest of the traffic.
func replyFilter(lo, hi uint16) ([]bpf.Instruction, error) {
	if lo > hi {
		return nil, fmt.Errorf("source ports %d-%d: empty range", lo, hi)
	}
	var a asm
	// The IP version, from the first byte.
	a.op(bpf.LoadAbsolute{Off: 0, Size: 1})
	a.op(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0xf0})
	a.jump(bpf.JumpEqual, 0x40, "v4", "")
	a.jump(bpf.JumpEqual, 0x60, "v6", "drop")

	a.label("v4")
	a.op(bpf.LoadAbsolute{Off: 6, Size: 2})
	a.jump(bpf.JumpBitsSet, 0x3fff, "drop", "") // a fragment
	a.op(bpf.LoadAbsolute{Off: 9, Size: 1})
	a.op(bpf.LoadMemShift{Off: 0}) // X: the IPv4 header's length
	a.jump(bpf.JumpEqual, protoTCP, "", "icmp4")
	a.op(bpf.LoadIndirect{Off: 2, Size: 2}) // TCP destination port
	a.jump(bpf.JumpLessThan, uint32(lo), "drop", "")
	a.jump(bpf.JumpGreaterThan, uint32(hi), "drop", "")
	a.op(bpf.LoadIndirect{Off: 13, Size: 1}) // TCP flags
	a.jump(bpf.JumpEqual, 0, "drop", "flags")

	a.label("icmp4")
	a.jump(bpf.JumpEqual, protoICMP, "", "drop")
	a.op(bpf.LoadIndirect{Off: 0, Size: 1})
	a.jump(bpf.JumpEqual, 3, "", "drop") // destination unreachable
	a.op(bpf.LoadIndirect{Off: 8 + 9, Size: 1})
	a.jump(bpf.JumpEqual, protoTCP, "keep", "drop") // quoting TCP

	a.label("v6")
	a.op(bpf.LoadAbsolute{Off: 6, Size: 1})
	a.jump(bpf.JumpEqual, protoTCP, "", "icmp6")
	a.op(bpf.LoadAbsolute{Off: ipv6HeaderLen + 2, Size: 2})
	a.jump(bpf.JumpLessThan, uint32(lo), "drop", "")
	a.jump(bpf.JumpGreaterThan, uint32(hi), "drop", "")
	a.op(bpf.LoadAbsolute{Off: ipv6HeaderLen + 13, Size: 1})

	a.label("flags") // A: the TCP flags
	a.jump(bpf.JumpBitsSet, tcpRST, "keep", "")
	a.op(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: tcpSYN | tcpACK})
	a.jump(bpf.JumpEqual, tcpSYN|tcpACK, "keep", "drop")

	a.label("icmp6")
	a.jump(bpf.JumpEqual, protoICMPv6, "", "drop")
	a.op(bpf.LoadAbsolute{Off: ipv6HeaderLen, Size: 1})
	a.jump(bpf.JumpEqual, 1, "", "drop") // destination unreachable
	a.op(bpf.LoadAbsolute{Off: ipv6HeaderLen + 8 + 6, Size: 1})
	a.jump(bpf.JumpEqual, protoTCP, "", "drop")
	a.op(bpf.LoadAbsolute{Off: 2*ipv6HeaderLen + 8, Size: 2}) // quoted source port
	a.jump(bpf.JumpLessThan, uint32(lo), "drop", "")
	a.jump(bpf.JumpGreaterThan, uint32(hi), "drop", "keep")

	a.label("keep")
	a.op(bpf.RetConstant{Val: snapLen})
	a.label("drop")
	a.op(bpf.RetConstant{Val: 0})
	return a.resolve()
}

// asm assembles a BPF program with named jump targets; "" is the next
// instruction.
type asm struct {
	prog   []bpf.Instruction
	jumps  []jumpRef
	labels map[string]int
}

type jumpRef struct {
	at      int
	yes, no string
	cond    bpf.JumpTest
	val     uint32
}

func (a *asm) op(i bpf.Instruction) { a.prog = append(a.prog, i) }

func (a *asm) label(name string) {
	if a.labels == nil {
		a.labels = map[string]int{}
	}
	a.labels[name] = len(a.prog)
}

func (a *asm) jump(cond bpf.JumpTest, val uint32, yes, no string) {
	a.jumps = append(a.jumps, jumpRef{at: len(a.prog), yes: yes, no: no, cond: cond, val: val})
	a.prog = append(a.prog, nil) // filled in by resolve
}

func (a *asm) resolve() ([]bpf.Instruction, error) {
	skip := func(from int, label string) (uint8, error) {
		if label == "" {
			return 0, nil
		}
		to, ok := a.labels[label]
		if !ok {
			return 0, fmt.Errorf("bpf: no label %q", label)
		}
		d := to - from - 1
		if d < 0 || d > 255 {
			return 0, fmt.Errorf("bpf: jump to %q out of reach", label)
		}
		return uint8(d), nil
	}
	for _, j := range a.jumps {
		yes, err := skip(j.at, j.yes)
		if err != nil {
			return nil, err
		}
		no, err := skip(j.at, j.no)
		if err != nil {
			return nil, err
		}
		a.prog[j.at] = bpf.JumpIf{Cond: j.cond, Val: j.val, SkipTrue: yes, SkipFalse: no}
	}
	return a.prog, nil
}

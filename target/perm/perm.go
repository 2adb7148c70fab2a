// Package perm gives the scan order: a seeded pseudo-random permutation of
// an index space [0, n), computed one index at a time without ever
// materialising it, and the split of that order into shards (--shard I/N).
//
// The scan engine numbers every (host, port) pair from 0 to
// hosts×ports−1 and probes them in the order At(0), At(1), …; the same
// seed gives the same order on every run and every machine, so a scan can
// be repeated, resumed at a position, or split between machines.
//
// The permutation is a Feistel network over the smallest power of two
// ≥ n (at least 4), with cycle-walking: an output ≥ n is fed back in until
// one falls below n. Each Feistel round is a bijection, so the whole is a
// bijection of [0, 2^k) and, walked, of [0, n); as 2^k < 2n, a walk takes
// under two rounds of the network on average. This is a scan order, not
// cryptography: it is unpredictable enough to spread probes across hosts
// and ports, nothing more.
package perm

import (
	"iter"
	"math/bits"
)

// rounds is the number of Feistel rounds; four make a pseudo-random
// permutation from pseudo-random round functions (Luby–Rackoff).
const rounds = 4

// Permutation is a bijection of [0, n) chosen by a seed. It is a small
// value, immutable and safe for concurrent use. The zero Permutation is
// the empty one (n = 0).
type Permutation struct {
	n      uint64
	lw, rw uint8 // widths in bits of the two Feistel halves, lw+rw = k
	keys   [rounds]uint64
}

// New returns the permutation of [0, n) chosen by seed.
func New(n, seed uint64) Permutation {
	k := max(bits.Len64(n-1), 2) // 2^k >= n; n-1 wraps for n = 0, harmlessly
	p := Permutation{n: n, rw: uint8(k / 2)}
	p.lw = uint8(k) - p.rw
	s := seed
	for i := range p.keys {
		s += 0x9e3779b97f4a7c15 // splitmix64
		p.keys[i] = mix(s)
	}
	return p
}

// Len reports n, the size of the index space.
func (p Permutation) Len() uint64 { return p.n }

// At returns the index at position i of the order. It runs in constant
// expected time and does not allocate. It panics if i >= p.Len().
func (p Permutation) At(i uint64) uint64 {
	if i >= p.n {
		panic("perm: position out of range")
	}
	x := i
	for {
		x = p.encrypt(x)
		if x < p.n {
			return x
		}
	}
}

// encrypt applies the Feistel network to x < 2^(lw+rw). The halves swap
// places, and widths, each round; XOR-ing a function of one half into the
// other keeps every round invertible whatever the widths.
func (p Permutation) encrypt(x uint64) uint64 {
	lw, rw := uint(p.lw), uint(p.rw)
	l, r := x>>rw, x&(1<<rw-1)
	for _, key := range p.keys {
		l, r = r, l^(mix(r^key)&(1<<lw-1))
		lw, rw = rw, lw
	}
	return l<<rw | r
}

// mix is the splitmix64 finaliser: a bijection of uint64 whose every
// output bit depends on every input bit.
func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// All yields the indexes in permuted order: At(0), At(1), …
func (p Permutation) All() iter.Seq[uint64] { return p.Shard(Shard{}) }

// Shard yields the indexes at the positions of shard s, in order: At(I−1),
// At(I−1+N), At(I−1+2N), … The shards 1/N … N/N of a permutation are
// disjoint and together yield every index once. It panics if s is not
// valid.
func (p Permutation) Shard(s Shard) iter.Seq[uint64] {
	if !s.IsValid() {
		panic("perm: invalid shard " + s.String())
	}
	return func(yield func(uint64) bool) {
		for k := range s.Len(p.n) {
			if !yield(p.At(s.Pos(k))) {
				return
			}
		}
	}
}

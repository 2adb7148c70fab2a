package perm

import (
	"fmt"
	"strconv"
	"strings"
)

// Shard is part I of N of a scan (--shard I/N), 1 <= I <= N: the positions
// p of the permuted order with p mod N = I−1. Machines scanning 1/N … N/N
// with the same seed cover the space once between them. The zero Shard is
// the whole scan, the same as 1/1.
type Shard struct {
	I, N uint64
}

// ParseShard parses "I/N", such as "2/4".
func ParseShard(s string) (Shard, error) {
	is, ns, ok := strings.Cut(s, "/")
	i, err1 := parseCount(is)
	n, err2 := parseCount(ns)
	if !ok || err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("bad shard %q: want I/N, such as 2/4", s)
	}
	if i < 1 || i > n {
		return Shard{}, fmt.Errorf("bad shard %q: want 1 <= I <= N", s)
	}
	return Shard{I: i, N: n}, nil
}

func parseCount(s string) (uint64, error) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, strconv.ErrSyntax
	}
	return strconv.ParseUint(s, 10, 64)
}

// MustParseShard is ParseShard for tests and constants; it panics on error.
func MustParseShard(s string) Shard {
	sh, err := ParseShard(s)
	if err != nil {
		panic(err)
	}
	return sh
}

// norm returns the shard as I, N, the zero Shard as 1, 1.
func (s Shard) norm() (i, n uint64) {
	if s.N == 0 {
		return 1, 1
	}
	return s.I, s.N
}

// IsValid reports whether s is the zero Shard or has 1 <= I <= N.
func (s Shard) IsValid() bool { return s == Shard{} || 1 <= s.I && s.I <= s.N }

// Len reports how many of the positions [0, n) belong to s.
func (s Shard) Len(n uint64) uint64 {
	i, m := s.norm()
	if n < i {
		return 0
	}
	return (n-i)/m + 1
}

// Pos returns the position of the k-th element of s: k·N + I − 1.
func (s Shard) Pos(k uint64) uint64 {
	i, m := s.norm()
	return k*m + i - 1
}

// String gives "I/N"; the zero Shard gives "1/1".
func (s Shard) String() string {
	i, n := s.norm()
	return strconv.FormatUint(i, 10) + "/" + strconv.FormatUint(n, 10)
}

// MarshalText implements encoding.TextMarshaler.
func (s Shard) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; empty text gives the
// zero Shard.
func (s *Shard) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*s = Shard{}
		return nil
	}
	sh, err := ParseShard(string(b))
	if err != nil {
		return err
	}
	*s = sh
	return nil
}

package perm

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
)

// checkBijection checks that p maps [0, n) onto [0, n).
func checkBijection(t *testing.T, p Permutation) {
	t.Helper()
	n := p.Len()
	seen := make([]bool, n)
	for i := range n {
		v := p.At(i)
		if v >= n {
			t.Fatalf("New(%d).At(%d) = %d, out of range", n, i, v)
		}
		if seen[v] {
			t.Fatalf("New(%d).At(%d) = %d, a repeat", n, i, v)
		}
		seen[v] = true
	}
}

func TestBijection(t *testing.T) {
	for _, seed := range []uint64{0, 1, 42, math.MaxUint64} {
		for n := range uint64(300) {
			checkBijection(t, New(n, seed))
		}
		for _, n := range []uint64{1 << 12, 1<<12 + 1, 1<<13 - 1, 65535 * 3, 1 << 17} {
			checkBijection(t, New(n, seed))
		}
	}
}

func TestDeterministic(t *testing.T) {
	first := func(p Permutation) []uint64 {
		var out []uint64
		for v := range p.All() {
			if out = append(out, v); len(out) == 20 {
				break
			}
		}
		return out
	}
	a, b, c := first(New(1e6, 7)), first(New(1e6, 7)), first(New(1e6, 8))
	if !slices.Equal(a, b) {
		t.Errorf("same seed, different orders: %v, %v", a, b)
	}
	if slices.Equal(a, c) {
		t.Errorf("seeds 7 and 8 give the same order %v", a)
	}
	if slices.IsSorted(a) {
		t.Errorf("order %v is sorted", a)
	}
	// Golden values: the order for a seed must never change between
	// releases, or a resumed or sharded scan would miss and repeat probes.
	if got, want := first(New(1000, 1))[:8], []uint64{729, 573, 356, 473, 631, 868, 921, 983}; !slices.Equal(got, want) {
		t.Errorf("New(1000, 1) starts %v, want %v", got, want)
	}
}

// TestSpread checks the order is well mixed: the first thousand positions
// of a large space land all over it, not in one corner.
func TestSpread(t *testing.T) {
	const n = 1 << 24 * 1000
	p := New(n, 42)
	var buckets [16]int
	for i := range uint64(1600) {
		buckets[p.At(i)*16/n]++
	}
	for b, c := range buckets {
		if c < 50 || c > 150 {
			t.Errorf("bucket %d of 16 got %d of the first 1600 indexes, want about 100: %v", b, c, buckets)
			break
		}
	}
}

func TestHuge(t *testing.T) {
	for _, n := range []uint64{math.MaxUint64, 1<<63 + 1, 1 << 47 * 131070} {
		p := New(n, 3)
		seen := make(map[uint64]bool)
		for i := range uint64(1000) {
			for _, pos := range []uint64{i, n - 1 - i} {
				v := p.At(pos)
				if v >= n || seen[v] {
					t.Fatalf("New(%d).At(%d) = %d: out of range or repeated", n, pos, v)
				}
				seen[v] = true
			}
		}
	}
}

func TestEmpty(t *testing.T) {
	var zero Permutation
	for _, p := range []Permutation{zero, New(0, 1)} {
		if p.Len() != 0 {
			t.Errorf("Len = %d", p.Len())
		}
		for v := range p.All() {
			t.Errorf("empty permutation yielded %d", v)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Error("At(0) of an empty permutation did not panic")
				}
			}()
			p.At(0)
		}()
	}
	if got := New(1, 9).At(0); got != 0 {
		t.Errorf("New(1).At(0) = %d", got)
	}
}

func TestShards(t *testing.T) {
	for _, n := range []uint64{0, 1, 2, 3, 7, 10, 64, 100, 1000} {
		p := New(n, 99)
		for shards := uint64(1); shards <= 7; shards++ {
			got := make([]int, n)
			for i := uint64(1); i <= shards; i++ {
				sh := Shard{I: i, N: shards}
				count := uint64(0)
				for v := range p.Shard(sh) {
					got[v]++
					count++
				}
				if count != sh.Len(n) {
					t.Errorf("n=%d shard %v yielded %d indexes, Len says %d", n, sh, count, sh.Len(n))
				}
				for k := range sh.Len(n) {
					if pos := sh.Pos(k); pos%shards != i-1 || pos >= n {
						t.Errorf("n=%d shard %v: Pos(%d) = %d", n, sh, k, pos)
					}
				}
			}
			for v, c := range got {
				if c != 1 {
					t.Fatalf("n=%d, %d shards: index %d yielded %d times, want once", n, shards, v, c)
				}
			}
		}
		// The zero Shard is the whole order, as is 1/1.
		all := slices.Collect(p.All())
		if !slices.Equal(all, slices.Collect(p.Shard(MustParseShard("1/1")))) || uint64(len(all)) != n {
			t.Errorf("n=%d: All and 1/1 differ", n)
		}
	}
	// Shard 2/3 is every third position of the whole order, from the second.
	p := New(50, 5)
	all := slices.Collect(p.All())
	var want []uint64
	for i := 1; i < len(all); i += 3 {
		want = append(want, all[i])
	}
	if got := slices.Collect(p.Shard(MustParseShard("2/3"))); !slices.Equal(got, want) {
		t.Errorf("shard 2/3 = %v, want %v", got, want)
	}
	// Stopping early works.
	for range p.Shard(MustParseShard("1/2")) {
		break
	}
}

func TestShardInvalidPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Shard(0/3) did not panic")
		}
	}()
	New(10, 1).Shard(Shard{I: 0, N: 3})
}

func TestParseShard(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Shard
		err  string
	}{
		{in: "1/1", want: Shard{1, 1}},
		{in: "2/4", want: Shard{2, 4}},
		{in: "4/4", want: Shard{4, 4}},
		{in: "18446744073709551615/18446744073709551615", want: Shard{math.MaxUint64, math.MaxUint64}},
		{in: "0/4", err: `bad shard "0/4": want 1 <= I <= N`},
		{in: "5/4", err: `bad shard "5/4": want 1 <= I <= N`},
		{in: "1/0", err: `want 1 <= I <= N`},
		{in: "", err: `bad shard "": want I/N, such as 2/4`},
		{in: "2", err: `want I/N`},
		{in: "2/", err: `want I/N`},
		{in: "/4", err: `want I/N`},
		{in: "+2/4", err: `want I/N`},
		{in: "2/4/5", err: `want I/N`},
		{in: " 2/4", err: `want I/N`},
		{in: "1/99999999999999999999", err: `want I/N`},
	} {
		got, err := ParseShard(tt.in)
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseShard(%q) = %v, %v; want error %q", tt.in, got, err, tt.err)
			}
		case err != nil || got != tt.want:
			t.Errorf("ParseShard(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		case got.String() != tt.in:
			t.Errorf("ParseShard(%q).String() = %q", tt.in, got)
		}
	}
}

func TestShardText(t *testing.T) {
	var cfg struct{ Shard Shard }
	if err := json.Unmarshal([]byte(`{"Shard":"3/8"}`), &cfg); err != nil || cfg.Shard != (Shard{3, 8}) {
		t.Fatalf("unmarshal: %v, %v", cfg.Shard, err)
	}
	b, err := json.Marshal(cfg)
	if err != nil || string(b) != `{"Shard":"3/8"}` {
		t.Errorf("marshal: %s, %v", b, err)
	}
	if err := json.Unmarshal([]byte(`{"Shard":"9/8"}`), &cfg); err == nil {
		t.Error("unmarshal took 9/8")
	}
	if err := cfg.Shard.UnmarshalText(nil); err != nil || cfg.Shard != (Shard{}) || cfg.Shard.String() != "1/1" {
		t.Errorf("empty text: %v, %v", cfg.Shard, err)
	}
	if !(Shard{}).IsValid() || (Shard{I: 2, N: 1}).IsValid() {
		t.Error("IsValid")
	}
}

func TestAtDoesNotAllocate(t *testing.T) {
	p := New(1<<24*1000, 1)
	i := uint64(0)
	if a := testing.AllocsPerRun(1000, func() { _ = p.At(i); i++ }); a != 0 {
		t.Errorf("At allocates %v times", a)
	}
}

// FuzzPermutation checks that small permutations are bijections and that
// their shards split them exactly.
func FuzzPermutation(f *testing.F) {
	f.Add(uint16(0), uint64(0), uint8(1))
	f.Add(uint16(1), uint64(1), uint8(2))
	f.Add(uint16(1000), uint64(42), uint8(3))
	f.Add(uint16(4097), uint64(math.MaxUint64), uint8(7))
	f.Fuzz(func(t *testing.T, n16 uint16, seed uint64, shards uint8) {
		n := uint64(n16)
		p := New(n, seed)
		checkBijection(t, p)
		m := uint64(shards%16) + 1
		seen := make([]bool, n)
		for i := uint64(1); i <= m; i++ {
			for v := range p.Shard(Shard{I: i, N: m}) {
				if seen[v] {
					t.Fatalf("n=%d seed=%d: index %d in two shards of %d", n, seed, v, m)
				}
				seen[v] = true
			}
		}
		if i := slices.Index(seen, false); i >= 0 {
			t.Fatalf("n=%d seed=%d: index %d in no shard of %d", n, seed, i, m)
		}
	})
}

func BenchmarkPermutationAt(b *testing.B) {
	p := New(1<<24*1000, 1)
	b.ReportAllocs()
	var sink uint64
	for i := range uint64(b.N) {
		sink += p.At(i % p.Len())
	}
	_ = sink
}

package scan

import (
	"context"
	"math/rand/v2"
	"runtime"
	"testing"
)

// The mark is the first position not finished, whatever order positions
// finish in.
func TestTrackerMark(t *testing.T) {
	for _, start := range []uint64{0, 5, 64, 1000} {
		const n = 700
		tr := newTracker(start)
		done := make([]bool, n)
		rng := rand.New(rand.NewPCG(start, 1))
		for _, i := range rng.Perm(n) {
			tr.finish(start + uint64(i))
			tr.finish(start + uint64(i)) // twice is harmless
			done[i] = true
			want := start
			for want-start < n && done[want-start] {
				want++
			}
			if got := tr.mark.Load(); got != want {
				t.Fatalf("start %d: mark %d after finishing %d, want %d", start, got, start+uint64(i), want)
			}
		}
		if len(tr.words) > 1 {
			t.Errorf("start %d: %d words kept after all finished", start, len(tr.words))
		}
	}
	// Positions below the start are done already.
	tr := newTracker(10)
	tr.finish(3)
	if tr.mark.Load() != 10 {
		t.Errorf("mark %d", tr.mark.Load())
	}
	var none *tracker
	none.finish(1)
	if !none.room(context.Background(), 1<<40) {
		t.Error("a nil tracker has no room")
	}
}

// Feed waits while a position is maxWindow past the mark, until the mark
// moves or ctx ends.
func TestTrackerWindow(t *testing.T) {
	tr := newTracker(0)
	if !tr.room(context.Background(), maxWindow-1) {
		t.Fatal("no room inside the window")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if tr.room(ctx, maxWindow) {
		t.Error("room past the window")
	}
	got := make(chan bool)
	go func() { got <- tr.room(context.Background(), maxWindow+1) }()
	for waiting := false; !waiting; runtime.Gosched() {
		tr.mu.Lock()
		waiting = tr.moved != nil
		tr.mu.Unlock()
	}
	tr.finish(1) // the mark stays at 0: still no room
	tr.finish(0) // the mark moves to 2
	if !<-got {
		t.Error("no room once the mark moved")
	}
}

func BenchmarkTrackerFinish(b *testing.B) {
	tr := newTracker(0)
	b.ReportAllocs()
	for i := range uint64(b.N) {
		// Out of order by a little, as results come.
		tr.finish(i ^ 3)
	}
}

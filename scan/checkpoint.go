package scan

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"sync"
	"sync/atomic"

	"github.com/ajarsec/ajar/record"
)

// A position numbers the probes of one shard in the order they are sent:
// 0 to Progress().Total−1, the k-th probe of the shard being the index
// Order.At(Shard + k·Shards) of the (host, port) space. The same targets,
// ports, order and shard give the same positions on every run, which is
// what lets a stopped scan resume.

// Resume says where RunTracked starts: a scan that stopped at its Mark
// resumes from there, skipping what it already finished past it.
type Resume struct {
	// Start is the first position to probe: every one below it was done
	// before.
	Start uint64
	// Done, when set, reports positions at or past Start that were done
	// before too, and are not probed again.
	Done func(pos uint64) bool
}

// maxWindow bounds how far past the mark a tracked scan sends probes
// (positions). The engine keeps one bit per position of the window, and
// whoever records results past the mark keeps them until it passes: a
// probe that stays unanswered for long must not let either grow without
// bound. Real probes time out well before the window fills.
const maxWindow = 1 << 20

// tracked is a result and its position.
type tracked struct {
	record.PortResult
	pos uint64
}

// Run probes every (host, port) pair of its shard once (plus retries) and
// calls emit with each result, from one goroutine, as results arrive. When
// ctx is cancelled it stops sending, drops the probes in flight, and
// returns ctx's error after emitting everything already learnt.
func (e *Engine) Run(ctx context.Context, emit func(*record.PortResult)) error {
	return e.run(ctx, func(r *record.PortResult, _ uint64) { emit(r) })
}

// RunTracked is Run starting at from, and also gives emit each result's
// position, and keeps the low-water mark that Mark reports: it is what a
// checkpoint records. Progress counts the positions done before from as
// done.
func (e *Engine) RunTracked(ctx context.Context, from Resume, emit func(r *record.PortResult, pos uint64)) error {
	if from.Start > e.total {
		return fmt.Errorf("scan: resuming at position %d of a scan of %d probes", from.Start, e.total)
	}
	if e.track != nil {
		return errors.New("scan: an engine runs once")
	}
	e.from = from
	e.track = newTracker(from.Start)
	e.done.Store(from.Start)
	return e.run(ctx, emit)
}

// Mark is the low-water mark of a RunTracked scan: every position below it
// has been emitted (or was done before it started), and emit has returned.
// Positions past it may be done too; the probes of the first ones not
// done were in flight, or not sent yet. It may be called at any time from
// any goroutine; when a scan ends complete, Mark is Progress().Total. It is
// 0 before RunTracked starts.
func (e *Engine) Mark() uint64 {
	if e.track == nil {
		return 0
	}
	return e.track.mark.Load()
}

// admit decides whether feed sends the probe at position k: probe is
// false for a position done before RunTracked; ok is false when ctx ended
// while the window was full.
func (e *Engine) admit(ctx context.Context, k uint64) (probe, ok bool) {
	if e.from.Done != nil && k >= e.from.Start && e.from.Done(k) {
		e.done.Add(1)
		e.track.finish(k)
		return false, true
	}
	return true, e.track.room(ctx, k)
}

// tracker keeps the low-water mark of finished positions: one bit for each
// position from base on, shifted out a word at a time as the mark passes.
type tracker struct {
	mu    sync.Mutex
	base  uint64   // every position below base is finished
	words []uint64 // bit i of words[w]: position base+64w+i is finished
	mark  atomic.Uint64
	// moved, when set, is closed the next time the mark moves: feed waits
	// on it while the window is full.
	moved chan struct{}
}

func newTracker(start uint64) *tracker {
	t := &tracker{base: start}
	t.mark.Store(start)
	return t
}

// finish records position k as done and moves the mark past every done
// position. A nil tracker does nothing.
func (t *tracker) finish(k uint64) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if k < t.base {
		return // already below the mark
	}
	off := k - t.base
	w := int(off / 64)
	for len(t.words) <= w {
		t.words = append(t.words, 0)
	}
	t.words[w] |= 1 << (off % 64)
	if w > 0 {
		return // the mark waits for a lower position
	}
	n := 0
	for n < len(t.words) && t.words[n] == ^uint64(0) {
		n++
	}
	if n > 0 {
		t.base += 64 * uint64(n)
		t.words = t.words[n:]
	}
	m := t.base
	if len(t.words) > 0 {
		m += uint64(bits.TrailingZeros64(^t.words[0]))
	}
	if m != t.mark.Load() {
		t.mark.Store(m)
		if t.moved != nil {
			close(t.moved)
			t.moved = nil
		}
	}
}

// room waits until position k is within maxWindow of the mark; it reports
// false if ctx ends first. A nil tracker always has room.
func (t *tracker) room(ctx context.Context, k uint64) bool {
	if t == nil {
		return true
	}
	for k-t.mark.Load() >= maxWindow {
		t.mu.Lock()
		if k-t.mark.Load() < maxWindow {
			t.mu.Unlock()
			break
		}
		if t.moved == nil {
			t.moved = make(chan struct{})
		}
		moved := t.moved
		t.mu.Unlock()
		select {
		case <-ctx.Done():
			return false
		case <-moved:
		}
	}
	return true
}

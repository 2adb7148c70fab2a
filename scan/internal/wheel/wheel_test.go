package syn

import (
	"slices"
	"testing"
	"time"
)

func TestWheelExpire(t *testing.T) {
	w := newWheel[int]()
	ms := int64(time.Millisecond)
	if got := w.plan(); got != -1 {
		t.Fatalf("empty wheel plans tick %d", got)
	}
	// 1 and 2 share a tick; 3 is a turn and a half of the wheel away;
	// 4 is due already.
	w.add(wheelEntry[int]{at: 10*ms + 1, v: 1}, wheelEntry[int]{at: 10*ms + 500, v: 2},
		wheelEntry[int]{at: 20 * ms, v: 5}, wheelEntry[int]{at: 10*ms + wheelSlots*wheelTick*3/2, v: 3})
	w.add(wheelEntry[int]{at: 0, v: 4})
	if w.len() != 5 {
		t.Fatalf("len %d, want 5", w.len())
	}
	if got := w.plan(); got != 0 {
		t.Errorf("plan %d, want tick 0", got)
	}
	var due []int
	collect := func(v int, _ int64) { due = append(due, v) }
	w.expire(5*ms, collect)
	if !slices.Equal(due, []int{4}) {
		t.Errorf("due at 5 ms: %v, want [4]", due)
	}
	if got := w.plan(); got != 11 {
		t.Errorf("plan %d, want tick 11 (the slot of 1 and 2)", got)
	}
	// An entry expires at the end of its tick: at most a tick late.
	due = nil
	w.expire(10*ms+1, collect)
	if len(due) != 0 {
		t.Errorf("due at 10 ms + 1 ns: %v, want none before the tick is over", due)
	}
	w.expire(11*ms, collect)
	if !slices.Equal(due, []int{1, 2}) {
		t.Errorf("due at 11 ms: %v, want [1 2]", due)
	}
	// A late expirer, more than a turn behind: every slot is looked at.
	due = nil
	w.expire(wheelSlots*wheelTick+50*ms, collect)
	if !slices.Equal(due, []int{5}) {
		t.Errorf("due a turn later: %v, want [5]", due)
	}
	due = nil
	w.expire(10*ms+wheelSlots*wheelTick*3/2, collect)
	if !slices.Equal(due, []int{3}) || w.len() != 0 {
		t.Errorf("due at the last deadline: %v, %d left; want [3], 0", due, w.len())
	}
}

// TestWheelKick: an entry due before the tick the expirer sleeps until
// kicks it awake; a later one does not.
func TestWheelKick(t *testing.T) {
	w := newWheel[int]()
	ms := int64(time.Millisecond)
	w.add(wheelEntry[int]{at: 100 * ms, v: 1})
	<-w.kick // the first entry of an empty wheel
	if got := w.plan(); got != 100 {
		t.Fatalf("plan %d, want 100", got)
	}
	w.add(wheelEntry[int]{at: 200 * ms, v: 2})
	select {
	case <-w.kick:
		t.Error("a later entry kicked the expirer")
	default:
	}
	w.add(wheelEntry[int]{at: 50 * ms, v: 3})
	select {
	case <-w.kick:
	default:
		t.Error("an earlier entry did not kick the expirer")
	}
}

func BenchmarkWheel(b *testing.B) {
	w := newWheel[int]()
	b.ReportAllocs()
	now := int64(0)
	for i := range b.N {
		now += 10 * int64(time.Microsecond) // 100,000 entries a second, due 100 ms later
		w.add(wheelEntry[int]{at: now + 100*int64(time.Millisecond), v: i})
		if i%100 == 0 {
			w.expire(now, func(int, int64) {})
		}
	}
}

package wheel

import (
	"slices"
	"testing"
	"time"
)

func TestWheelExpire(t *testing.T) {
	w := New[int]()
	ms := int64(time.Millisecond)
	if got := w.Plan(); got != -1 {
		t.Fatalf("empty wheel plans tick %d", got)
	}
	// 1 and 2 share a tick; 3 is a turn and a half of the wheel away;
	// 4 is due already.
	w.Add(Entry[int]{At: 10*ms + 1, V: 1}, Entry[int]{At: 10*ms + 500, V: 2},
		Entry[int]{At: 20 * ms, V: 5}, Entry[int]{At: 10*ms + Slots*Tick*3/2, V: 3})
	w.Add(Entry[int]{At: 0, V: 4})
	if w.Len() != 5 {
		t.Fatalf("len %d, want 5", w.Len())
	}
	if got := w.Plan(); got != 0 {
		t.Errorf("plan %d, want tick 0", got)
	}
	var due []int
	collect := func(v int, _ int64) { due = append(due, v) }
	w.Expire(5*ms, collect)
	if !slices.Equal(due, []int{4}) {
		t.Errorf("due at 5 ms: %v, want [4]", due)
	}
	if got := w.Plan(); got != 11 {
		t.Errorf("plan %d, want tick 11 (the slot of 1 and 2)", got)
	}
	// An entry expires at the end of its tick: at most a tick late.
	due = nil
	w.Expire(10*ms+1, collect)
	if len(due) != 0 {
		t.Errorf("due at 10 ms + 1 ns: %v, want none before the tick is over", due)
	}
	w.Expire(11*ms, collect)
	if !slices.Equal(due, []int{1, 2}) {
		t.Errorf("due at 11 ms: %v, want [1 2]", due)
	}
	// A late expirer, more than a turn behind: every slot is looked at.
	due = nil
	w.Expire(Slots*Tick+50*ms, collect)
	if !slices.Equal(due, []int{5}) {
		t.Errorf("due a turn later: %v, want [5]", due)
	}
	due = nil
	w.Expire(10*ms+Slots*Tick*3/2, collect)
	if !slices.Equal(due, []int{3}) || w.Len() != 0 {
		t.Errorf("due at the last deadline: %v, %d left; want [3], 0", due, w.Len())
	}
}

// TestWheelKick: an entry due before the tick the expirer sleeps until
// kicks it awake; a later one does not.
func TestWheelKick(t *testing.T) {
	w := New[int]()
	ms := int64(time.Millisecond)
	w.Add(Entry[int]{At: 100 * ms, V: 1})
	<-w.kick // the first entry of an empty wheel
	if got := w.Plan(); got != 100 {
		t.Fatalf("plan %d, want 100", got)
	}
	w.Add(Entry[int]{At: 200 * ms, V: 2})
	select {
	case <-w.kick:
		t.Error("a later entry kicked the expirer")
	default:
	}
	w.Add(Entry[int]{At: 50 * ms, V: 3})
	select {
	case <-w.kick:
	default:
		t.Error("an earlier entry did not kick the expirer")
	}
}

func BenchmarkWheel(b *testing.B) {
	w := New[int]()
	b.ReportAllocs()
	now := int64(0)
	for i := range b.N {
		now += 10 * int64(time.Microsecond) // 100,000 entries a second, due 100 ms later
		w.Add(Entry[int]{At: now + 100*int64(time.Millisecond), V: i})
		if i%100 == 0 {
			w.Expire(now, func(int, int64) {})
		}
	}
}

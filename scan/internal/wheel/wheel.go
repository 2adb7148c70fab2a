package syn

import (
	"sync"
	"time"
)

// wheel is a hashed timing wheel: the deadlines of the probes in flight,
// kept by the tick they fall in, so that adding one and expiring one cost
// a slice append and a look, not a timer of the runtime each. One
// goroutine (the prober's expirer) sleeps until the next tick that holds
// something and expires what is due.
//
// Times are nanoseconds on the prober's monotonic clock. A deadline may
// lie any distance ahead: one more than a turn of the wheel away stays in
// its slot, and is looked at once a turn, until it is due. Entries are
// never removed early: the caller checks, when one expires, whether what
// it stands for is still waiting.
type wheel[T any] struct {
	mu    sync.Mutex
	slots [][]wheelEntry[T]
	next  int64 // the first tick not yet expired
	n     int   // entries held
	// sleep is the tick the expirer sleeps until (-1: until kicked);
	// an entry due before it kicks the expirer awake.
	sleep int64
	kick  chan struct{}
	due   []T // expire's buffer
}

type wheelEntry[T any] struct {
	at int64
	v  T
}

const (
	// wheelTick is the wheel's resolution: a probe's wait ends at most
	// this much after its timeout (plus the expirer's scheduling delay).
	wheelTick = int64(time.Millisecond)
	// wheelSlots is how many ticks one turn of the wheel spans: 4.096 s,
	// more than the engine's longest default timeout.
	wheelSlots = 4096
)

func newWheel[T any]() *wheel[T] {
	return &wheel[T]{slots: make([][]wheelEntry[T], wheelSlots), sleep: -1, kick: make(chan struct{}, 1)}
}

// add puts entries on the wheel, each due at its at.
func (w *wheel[T]) add(es ...wheelEntry[T]) {
	if len(es) == 0 {
		return
	}
	kick := false
	w.mu.Lock()
	for _, e := range es {
		t := max((e.at+wheelTick-1)/wheelTick, w.next)
		i := t % wheelSlots
		w.slots[i] = append(w.slots[i], e)
		if w.sleep < 0 || t < w.sleep {
			kick = true
			w.sleep = t
		}
	}
	w.n += len(es)
	w.mu.Unlock()
	if kick {
		select {
		case w.kick <- struct{}{}:
		default: // a kick is pending already
		}
	}
}

// plan returns the tick the expirer should wake at, or -1 when the wheel
// is empty (it then waits for a kick).
func (w *wheel[T]) plan() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.sleep = -1
	if w.n == 0 {
		return -1
	}
	// The first slot holding something; its entries may be due a turn
	// or more later, and the expirer then just looks again.
	for k := range int64(wheelSlots) {
		if len(w.slots[(w.next+k)%wheelSlots]) > 0 {
			w.sleep = w.next + k
			return w.sleep
		}
	}
	return -1 // not reached: n > 0
}

// expire calls fn, outside the wheel's lock, with each entry due at now
// or before, and removes them. One goroutine at a time calls it.
func (w *wheel[T]) expire(now int64, fn func(T, int64)) {
	w.mu.Lock()
	last := now / wheelTick // the last tick that is over
	from := w.next
	if last-from >= wheelSlots {
		from = last - wheelSlots + 1 // every slot once
	}
	due := w.due
	for t := from; t <= last; t++ {
		s := w.slots[t%wheelSlots]
		keep := s[:0]
		for _, e := range s {
			if e.at <= now {
				due = append(due, e.v)
			} else {
				keep = append(keep, e) // a later turn's
			}
		}
		clear(s[len(keep):]) // let the garbage collector have what they point to
		w.slots[t%wheelSlots] = keep
	}
	w.n -= len(due)
	w.next = max(w.next, last+1)
	w.mu.Unlock()
	for i, v := range due {
		fn(v, now)
		var zero T
		due[i] = zero
	}
	w.due = due[:0]
}

// len reports the entries held.
func (w *wheel[T]) len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

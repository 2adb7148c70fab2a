// Package wheel is the probers' timing wheel: the deadlines of probes in
// flight, for one goroutine that sleeps until the next is due.
package wheel

import (
	"sync"
	"time"
)

// Wheel is a hashed timing wheel: the deadlines of the probes in flight,
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
type Wheel[T any] struct {
	mu    sync.Mutex
	slots [][]Entry[T]
	next  int64 // the first tick not yet expired
	n     int   // entries held
	// sleep is the tick the expirer sleeps until (-1: until kicked);
	// an entry due before it kicks the expirer awake.
	sleep int64
	kick  chan struct{}
	due   []T // expire's buffer
	// spare holds the arrays of slots Expire emptied, for Add to reuse:
	// a scan shorter than a turn of the wheel fills each slot once, and
	// would otherwise grow every slot's slice from nothing.
	spare [][]Entry[T]
}

// maxSpare bounds the arrays kept for reuse.
const maxSpare = 256

// Entry is a deadline and what is due then.
type Entry[T any] struct {
	At int64 // the deadline, in nanoseconds
	V  T
}

const (
	// Tick is the wheel's resolution: a probe's wait ends at most
	// this much after its timeout (plus the expirer's scheduling delay).
	Tick = int64(time.Millisecond)
	// Slots is how many ticks one turn of the wheel spans: 4.096 s,
	// more than the engine's longest default timeout.
	Slots = 4096
)

// New makes an empty wheel.
func New[T any]() *Wheel[T] {
	return &Wheel[T]{slots: make([][]Entry[T], Slots), sleep: -1, kick: make(chan struct{}, 1)}
}

// Add puts entries on the wheel, each due at its At.
func (w *Wheel[T]) Add(es ...Entry[T]) {
	if len(es) == 0 {
		return
	}
	kick := false
	w.mu.Lock()
	for _, e := range es {
		t := max((e.At+Tick-1)/Tick, w.next)
		i := t % Slots
		if cap(w.slots[i]) == 0 && len(w.spare) > 0 {
			w.slots[i] = w.spare[len(w.spare)-1]
			w.spare[len(w.spare)-1] = nil
			w.spare = w.spare[:len(w.spare)-1]
		}
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

// Plan returns the tick the expirer should wake at, or -1 when the wheel
// is empty (it then waits for a kick).
func (w *Wheel[T]) Plan() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.sleep = -1
	if w.n == 0 {
		return -1
	}
	// The first slot holding something; its entries may be due a turn
	// or more later, and the expirer then just looks again.
	for k := range int64(Slots) {
		if len(w.slots[(w.next+k)%Slots]) > 0 {
			w.sleep = w.next + k
			return w.sleep
		}
	}
	return -1 // not reached: n > 0
}

// Expire calls fn, outside the wheel's lock, with each entry due at now
// or before, and removes them. One goroutine at a time calls it.
func (w *Wheel[T]) Expire(now int64, fn func(T, int64)) {
	w.mu.Lock()
	last := now / Tick // the last tick that is over
	from := w.next
	if last-from >= Slots {
		from = last - Slots + 1 // every slot once
	}
	due := w.due
	for t := from; t <= last; t++ {
		s := w.slots[t%Slots]
		keep := s[:0]
		for _, e := range s {
			if e.At <= now {
				due = append(due, e.V)
			} else {
				keep = append(keep, e) // a later turn's
			}
		}
		clear(s[len(keep):]) // let the garbage collector have what they point to
		if len(keep) == 0 && cap(keep) > 0 && len(w.spare) < maxSpare {
			w.spare = append(w.spare, keep)
			keep = nil
		}
		w.slots[t%Slots] = keep
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

// Kick receives a token when an entry is added that is due before the
// tick Plan last returned: the sleeper wakes and plans again.
func (w *Wheel[T]) Kick() <-chan struct{} { return w.kick }

// Len reports the entries held.
func (w *Wheel[T]) Len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

package cancelwatch

import (
	"context"
	"sync"
)

// Group watches contexts for many workers at once: one registration
// (context.AfterFunc) per context, however many workers carry probes
// under it, so that a prober's thousands of workers cost no allocation
// each. When a watched context is cancelled, fn is called once with its
// Done channel, and finds the workers that carry a probe under it.
type Group struct {
	fn func(done <-chan struct{})
	mu sync.Mutex
	m  map[<-chan struct{}]*member
}

// member is one watched context: its registration and how many workers
// use it.
type member struct {
	n    int
	stop func() bool
}

// Key is one worker's place in a Group: the Done channel it watches.
// The zero value watches nothing.
type Key struct{ done <-chan struct{} }

// NewGroup makes a group whose contexts' cancellation calls fn.
func NewGroup(fn func(done <-chan struct{})) *Group {
	return &Group{fn: fn, m: make(map[<-chan struct{}]*member)}
}

// Set makes k watch ctx: a worker's next probe runs under it. It costs a
// comparison when k watches ctx already (the common case: every probe of
// a scan shares one context), and a map look-up otherwise. A context
// that is never cancelled is not watched.
func (g *Group) Set(k *Key, ctx context.Context) {
	done := ctx.Done()
	if done == k.done {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.leaveLocked(k)
	if done == nil {
		return
	}
	k.done = done
	m := g.m[done]
	if m == nil {
		m = &member{stop: context.AfterFunc(ctx, func() { g.fn(done) })}
		g.m[done] = m
	}
	m.n++
}

// Leave makes k watch nothing; the last worker to leave a context ends
// its registration.
func (g *Group) Leave(k *Key) {
	if k.done == nil {
		return
	}
	g.mu.Lock()
	g.leaveLocked(k)
	g.mu.Unlock()
}

func (g *Group) leaveLocked(k *Key) {
	if k.done == nil {
		return
	}
	if m := g.m[k.done]; m != nil {
		if m.n--; m.n == 0 {
			m.stop()
			delete(g.m, k.done)
		}
	}
	k.done = nil
}

// Len reports how many contexts the group watches.
func (g *Group) Len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.m)
}

package evloop

import (
	"slices"
	"sync"
)

// Worker is what a Pool holds: a prober's worker, one probe at a time,
// with a socket per address family registered with the loop.
type Worker interface {
	// Ready is the loop's: the worker's socket of family fam (0: IPv4,
	// 1: IPv6) woke.
	Ready(fam int)
	// Cancel settles the probe under way if it runs under the context
	// whose Done is done.
	Cancel(done <-chan struct{})
	// End settles the probe under way, if any, with err, and closes the
	// sockets: the loop is stopped.
	End(err error)
}

// Pool is a prober's workers: each has an index, which tags its sockets
// in the loop (Tag), and a closed worker goes back to the free list for
// the next engine.
type Pool[W Worker] struct {
	mu      sync.Mutex
	workers []W // by index
	free    []W // closed, for Get to reuse
	closed  bool
}

// Tag is the loop tag of the socket of family fam (0, 1) of the worker
// with index idx.
func Tag(idx int32, fam int) int32 { return idx<<1 | int32(fam) }

// Get takes a worker from the free list, or makes one with make, which
// is given its index.
func (p *Pool[W]) Get(make func(idx int32) W) W {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.free); n > 0 {
		w := p.free[n-1]
		p.free = p.free[:n-1]
		return w
	}
	w := make(int32(len(p.workers)))
	p.workers = append(p.workers, w)
	return w
}

// Put puts a closed worker on the free list.
func (p *Pool[W]) Put(w W) {
	p.mu.Lock()
	p.free = append(p.free, w)
	p.mu.Unlock()
}

// Ready passes a wake-up of the socket tagged tag to its worker; it is
// the loop's ready function.
func (p *Pool[W]) Ready(tag int32) {
	p.mu.Lock()
	w := p.workers[tag>>1]
	p.mu.Unlock()
	w.Ready(int(tag & 1))
}

// Cancelled settles every probe under way started with a context whose
// Done is done: a cancelwatch.Group's function.
func (p *Pool[W]) Cancelled(done <-chan struct{}) {
	p.mu.Lock()
	ws := slices.Clone(p.workers)
	p.mu.Unlock()
	for _, w := range ws {
		w.Cancel(done)
	}
}

// Close stops loop, then ends every worker's probe with err; a second
// call does nothing.
func Close[W Worker, R any](p *Pool[W], loop *Loop[R], err error) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	ws := p.workers
	p.mu.Unlock()
	cerr := loop.Close()
	for _, w := range ws {
		w.End(err)
	}
	return cerr
}

package run

import (
	"context"
	"errors"
	"net/netip"
	"sync"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/record"
)

// stream hands records to the sink one at a time, in the order the Sink
// contract promises: ports identified in a pool, a bounded number at a
// time, and each host group's host records held back until every port of
// the group is written.
type stream struct {
	sink Sink
	ev   *Events
	id   *fingerprint.Config // nil: no identification
	au   *audit.Config       // nil: no audit
	sem  chan struct{}
	wg   sync.WaitGroup
	// vulns adds known vulnerabilities after the audit; nil: none.
	vulns VulnMatcher

	mu      sync.Mutex
	err     error                    // the sink's first error
	pending map[uint64]int           // group → its ports in identification
	held    map[uint64][]record.Host // group → its host records, waiting
	open    uint64                   // open ports written
	// identifying is how many ports are being identified.
	identifying int
	// onWrite, when set, sees each port record as it is written.
	onWrite func(*record.PortResult)
}

func newStream(sink Sink, ev *Events, id *Identify) *stream {
	s := &stream{sink: sink, ev: ev, pending: map[uint64]int{}, held: map[uint64][]record.Host{}}
	if id != nil {
		cfg := id.fingerprint()
		s.id = &cfg
		s.sem = make(chan struct{}, cmpOr(id.Parallel, DefaultIdentifyParallel))
	}
	return s
}

func cmpOr(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// writeLocked writes one record; s.mu is held.
func (s *stream) writeLocked(r record.Record) {
	if p, ok := r.(*record.PortResult); ok {
		if p.State == record.Open {
			s.open++
		}
		if s.onWrite != nil {
			s.onWrite(p)
		}
	}
	if err := s.sink.Write(r); err != nil && s.err == nil {
		s.err = err
	}
}

// host writes a host record now: a down host's, or one with no ports.
func (s *stream) host(h *record.Host) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writeLocked(h)
}

// port names a port from the port table, identifies its service when
// asked to, and writes it. g is its host group. It blocks while the
// identification pool is full. r is copied: the caller may reuse it.
func (s *stream) port(ctx context.Context, r *record.PortResult, g uint64) {
	nameFromTable(r)
	if s.id == nil || !wantsIdentify(r) {
		s.mu.Lock()
		s.writeLocked(r)
		s.mu.Unlock()
		return
	}
	cp := *r
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		s.mu.Lock()
		s.writeLocked(&cp)
		s.mu.Unlock()
		return
	}
	s.mu.Lock()
	s.pending[g]++
	s.identifying++
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		err := identifyForAudit(ctx, s.id, s.au, &cp)
		if aerr := auditPort(ctx, s.au, &cp); aerr != nil {
			err = errors.Join(err, aerr)
		}
		if verr := vulnPort(ctx, s.vulns, &cp); verr != nil {
			err = errors.Join(err, verr)
		}
		<-s.sem
		s.mu.Lock()
		defer s.mu.Unlock()
		if err != nil {
			s.ev.note("warning: %v/%v: %v", netip.AddrPortFrom(cp.Host, cp.Port), cp.Proto, err)
		}
		s.writeLocked(&cp)
		s.identifying--
		if s.pending[g]--; s.pending[g] == 0 {
			delete(s.pending, g)
			s.flushLocked(g)
		}
	}()
}

// groupDone writes the host records of a finished group, once every one
// of its ports is written.
func (s *stream) groupDone(g uint64, hosts []record.Host) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.held[g] = append(s.held[g], hosts...)
	if s.pending[g] == 0 {
		s.flushLocked(g)
	}
}

func (s *stream) flushLocked(g uint64) {
	hosts := s.held[g]
	delete(s.held, g)
	for i := range hosts {
		s.writeLocked(&hosts[i])
	}
}

// wait blocks until every port handed to the pool is written.
func (s *stream) wait() { s.wg.Wait() }

// openPorts is how many open ports were written.
func (s *stream) openPorts() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.open
}

// error is the sink's first error.
func (s *stream) error() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// inIdentification is how many ports are being identified now.
func (s *stream) inIdentification() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.identifying
}

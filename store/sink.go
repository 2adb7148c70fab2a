package store

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/run"
)

// Batching: the sink's writer commits what came in at most every
// flushEvery, or at once when flushRows records wait; Write blocks while
// maxPending records wait (the database is far behind the scan).
const (
	flushEvery = 200 * time.Millisecond
	flushRows  = 1024
	maxPending = 64 << 10
)

// Meta is what a run is, besides what its Begin says.
type Meta struct {
	Kind Kind
	// Targets are the run's targets as given; Args the command line.
	Targets, Args string
	// Source is the file an imported run comes from, and its format.
	Source string
}

// Sink writes a run to the store as it streams: a run.Sink. Begin inserts
// the run, Write queues each record, and a goroutine of the sink commits
// the queue in small transactions; End commits the rest and marks the
// run complete (or interrupted). A sink is used once.
type Sink struct {
	st   *Store
	open func(context.Context) (*Store, error) // nil: st is open, and not the sink's
	ctx  context.Context
	meta Meta
	run  Run // the run's row, set by Begin
	id   int64

	mu      sync.Mutex
	drained *sync.Cond
	b       batch
	hosts   map[netip.Addr]*closedPorts // non-open ports of hosts not finished
	// last and lastAddr are the host the last non-open port was of: a
	// scan often gives several ports of one host in a row.
	last     *closedPorts
	lastAddr netip.Addr
	seq      int64
	err      error // the first error; after it records are dropped
	began    bool
	wake     chan struct{}
	stop     chan struct{}
	done     chan struct{}
}

// NewSink makes a sink that records one run described by meta. ctx bounds
// the database work; its cancellation does not stop End from marking the
// run ended.
func (s *Store) NewSink(ctx context.Context, meta Meta) *Sink {
	return newSink(ctx, s, nil, meta)
}

// OpenSink is NewSink on a store that open opens, in the sink's own
// goroutine once the run has begun, so that a slow disk does not hold up
// the run's start; the sink closes the store at End. An error opening
// it is the sink's first error.
func OpenSink(ctx context.Context, open func(context.Context) (*Store, error), meta Meta) *Sink {
	return newSink(ctx, nil, open, meta)
}

func newSink(ctx context.Context, st *Store, open func(context.Context) (*Store, error), meta Meta) *Sink {
	k := &Sink{st: st, open: open, ctx: context.WithoutCancel(ctx), meta: meta, hosts: map[netip.Addr]*closedPorts{},
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	k.drained = sync.NewCond(&k.mu)
	return k
}

// ID is the run's id in the store, 0 until the run is inserted, or when
// that failed. It is set once End returns.
func (k *Sink) ID() int64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.id
}

// Err is the first error the sink met.
func (k *Sink) Err() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.err
}

// Begin implements run.Sink: the sink's goroutine inserts the run, not
// yet complete, and then commits what Write queues. Begin does not wait
// on the database: its errors come from Write and End.
func (k *Sink) Begin(info run.Info) error {
	raw, err := json.Marshal(info)
	if err != nil {
		close(k.done)
		return k.fail(fmt.Errorf("recording the run: %w", err))
	}
	start := info.Start
	if start.IsZero() {
		start = time.Now()
	}
	k.mu.Lock()
	k.run = Run{Kind: k.meta.Kind, Started: start, Targets: k.meta.Targets, Args: k.meta.Args,
		Source: k.meta.Source, Info: string(raw)}
	k.began = true
	k.mu.Unlock()
	go k.writer()
	return nil
}

// insert opens the store when the sink owns it, and inserts the run.
func (k *Sink) insert() error {
	if k.open != nil {
		st, err := k.open(k.ctx)
		if err != nil {
			return err
		}
		k.st = st
	}
	id, err := k.st.newRun(k.ctx, &k.run)
	if err != nil {
		return err
	}
	k.mu.Lock()
	k.id = id
	k.mu.Unlock()
	return nil
}

func (k *Sink) fail(err error) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.err == nil {
		k.err = err
	}
	return k.err
}

// Write implements run.Sink: it queues r for the writer. r is copied.
func (k *Sink) Write(r record.Record) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.err != nil || !k.began {
		return k.err
	}
	for k.b.rows >= maxPending && k.err == nil {
		k.signal()
		k.drained.Wait()
	}
	switch r := r.(type) {
	case *record.PortResult:
		if keptAlone(r) {
			k.b.addPort(k.nextSeq(), r)
			break
		}
		cp := k.last
		if cp == nil || k.lastAddr != r.Host {
			if cp = k.hosts[r.Host]; cp == nil {
				cp = &closedPorts{}
				k.hosts[r.Host] = cp
			}
			k.last, k.lastAddr = cp, r.Host
		}
		cp.add(r)
	case *record.Host:
		k.flushHostLocked(r.Addr)
		k.b.addHost(k.nextSeq(), r)
	case *record.Socket:
		k.b.addSocket(k.nextSeq(), r)
	}
	if k.b.rows >= flushRows {
		k.signal()
	}
	return nil
}

// keptAlone reports whether a port gets a row of its own: an open port,
// or one with a service identified or findings. Other ports are kept as
// ranges of their host.
func keptAlone(r *record.PortResult) bool {
	return r.State == record.Open || len(r.Findings) > 0 ||
		(r.Service != nil && r.Service.Method != "" && r.Service.Method != "port-table")
}

func (k *Sink) nextSeq() int64 {
	k.seq++
	return k.seq
}

// flushHostLocked moves a host's ranges of non-open ports to the batch.
func (k *Sink) flushHostLocked(a netip.Addr) {
	cp := k.hosts[a]
	if cp == nil {
		return
	}
	delete(k.hosts, a)
	if k.last == cp {
		k.last = nil
	}
	for key, ports := range cp.m {
		k.b.addRange(k.nextSeq(), a, key, *ports)
	}
}

func (k *Sink) signal() {
	select {
	case k.wake <- struct{}{}:
	default:
	}
}

// writer commits the batch while the run goes on.
func (k *Sink) writer() {
	defer close(k.done)
	if err := k.insert(); err != nil {
		k.fail(err)
		k.mu.Lock()
		k.drained.Broadcast()
		k.mu.Unlock()
		return
	}
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	for {
		select {
		case <-k.stop:
			return
		case <-k.wake:
		case <-t.C:
		}
		k.commit()
	}
}

// commit writes what is queued in one transaction.
func (k *Sink) commit() {
	k.mu.Lock()
	b := k.b
	k.b = batch{}
	k.drained.Broadcast()
	k.mu.Unlock()
	if b.rows == 0 && b.counts == (counts{}) {
		return
	}
	if err := k.st.writeBatch(k.ctx, k.id, &b); err != nil {
		k.fail(err)
		k.mu.Lock()
		k.drained.Broadcast()
		k.mu.Unlock()
	}
}

// End implements run.Sink: it commits what is left and marks the run
// ended, complete unless it was interrupted.
func (k *Sink) End(sum run.Summary) error {
	k.mu.Lock()
	began := k.began
	for a := range k.hosts {
		k.flushHostLocked(a)
	}
	k.mu.Unlock()
	if !began {
		return k.Err()
	}
	close(k.stop)
	<-k.done
	if k.open != nil && k.st != nil {
		defer k.st.Close()
	}
	if err := k.Err(); err != nil {
		return err
	}
	k.commit()
	if err := k.Err(); err != nil {
		return err
	}
	end := sum.End
	if end.IsZero() {
		end = time.Now()
	}
	complete := 1
	interrupted := 0
	if sum.Interrupted {
		complete, interrupted = 0, 1
	}
	_, err := k.st.db.ExecContext(k.ctx, k.st.q(`UPDATE runs SET ended_us = ?, complete = ?, interrupted = ?,
		hosts = CASE WHEN hosts > ? THEN hosts ELSE ? END WHERE id = ?`),
		micros(end), complete, interrupted, int64(sum.Hosts), int64(sum.Hosts), k.id)
	if err != nil {
		return k.fail(fmt.Errorf("ending the run: %w", err))
	}
	return nil
}

// SaveSockets records a snapshot of this machine's sockets taken at t as
// one run, and returns its id.
func (s *Store) SaveSockets(ctx context.Context, meta Meta, t time.Time, ss []record.Socket) (int64, error) {
	meta.Kind = KindSockets
	k := s.NewSink(ctx, meta)
	if err := k.Begin(run.Info{Start: t}); err != nil {
		return 0, err
	}
	for i := range ss {
		k.Write(&ss[i])
	}
	err := k.End(run.Summary{End: time.Now()})
	return k.ID(), err
}

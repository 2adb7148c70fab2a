package store

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
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
	maxPending = 256 << 10
	// Write gathers up to chunkPorts non-open ports before it hands them
	// to the writer: fewer at the first Write after the writer's tick
	// asked for them (want), and with any other record, handed at once.
	chunkPorts = 4096
	// maxHeld bounds the non-open ports the writer holds for hosts not
	// finished: past it, every held host's ranges so far are written, and
	// the host's later ports go in ranges of their own. A scan of many
	// hosts at once (a group of 4,096 × 1,000 ports) would otherwise hold
	// millions of ports, then write them all at the group's end.
	maxHeld = 256 << 10
)

// chunk is what Write gathered since its last hand-over, in order: the
// non-open ports in closed, and each other record in recs after
// closed[:at] (its host's ports go in before a host's record).
type chunk struct {
	closed []closedPort
	recs   []queuedAt
}

type queuedAt struct {
	at int
	q  queued
}

func (c *chunk) entries() int { return len(c.closed) + len(c.recs) }

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

	// ch is Write's own: what it gathered, not yet handed over.
	ch   chunk
	want atomic.Bool // the writer's tick: hand ch over

	mu      sync.Mutex
	drained *sync.Cond
	queue   []chunk // handed over, for the writer
	free    [][]closedPort
	pending int   // entries in queue
	err     error // the first error; after it records are dropped
	began   bool

	// The writer's own (End's, once the writer stopped): the batch it
	// fills, the non-open ports of hosts not finished, the row numbers.
	b     batch
	hosts map[netip.Addr]*closedPorts
	held  int // ports in hosts
	// last and lastAddr are the host the last non-open port was of: a
	// scan often gives several ports of one host in a row.
	last     *closedPorts
	lastAddr [16]byte
	last4    bool
	seq      int64
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

// Write implements run.Sink: it queues r for the writer. r is copied. A
// non-open port costs an append: the writer, not the scan, gathers the
// ports of a host into ranges.
func (k *Sink) Write(r record.Record) error {
	if !k.began {
		return k.Err()
	}
	var q queued
	switch r := r.(type) {
	case *record.PortResult:
		if !keptAlone(r) {
			if p, ok := closedPortOf(r); ok {
				if k.ch.closed == nil {
					k.ch.closed = k.buffer()
				}
				k.ch.closed = append(k.ch.closed, p)
				if len(k.ch.closed) < chunkPorts && !k.want.Load() {
					return nil
				}
				return k.handOver()
			}
		}
		q = portRow(r)
	case *record.Host:
		q = hostRow(r)
	case *record.Socket:
		q = socketRow(r)
	default:
		return nil
	}
	k.ch.recs = append(k.ch.recs, queuedAt{at: len(k.ch.closed), q: q})
	return k.handOver()
}

// buffer is a buffer for Write's non-open ports: one the writer is done
// with, or a new one.
func (k *Sink) buffer() []closedPort {
	k.mu.Lock()
	defer k.mu.Unlock()
	if n := len(k.free); n > 0 {
		b := k.free[n-1]
		k.free = k.free[:n-1]
		return b
	}
	return make([]closedPort, 0, 256)
}

// handOver queues Write's chunk for the writer; it blocks while maxPending
// entries wait (the database is far behind the scan).
func (k *Sink) handOver() error {
	if k.ch.entries() == 0 {
		return k.Err()
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	for k.pending >= maxPending && k.err == nil {
		k.signal()
		k.drained.Wait()
	}
	if k.err != nil {
		k.ch = chunk{}
		return k.err
	}
	k.want.Store(false)
	k.pending += k.ch.entries()
	k.queue = append(k.queue, k.ch)
	k.ch = chunk{}
	if k.pending >= flushRows {
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

// flushHost moves a host's ranges of non-open ports to the batch.
func (k *Sink) flushHost(a netip.Addr) {
	cp := k.hosts[a]
	if cp == nil {
		return
	}
	delete(k.hosts, a)
	k.held -= cp.n
	if k.last == cp {
		k.last = nil
	}
	for key, ports := range cp.m {
		k.b.addRange(k.nextSeq(), a, key, ports)
	}
}

// take moves the chunks handed over to the writer's batch, in order.
func (k *Sink) take() {
	k.mu.Lock()
	queue := k.queue
	k.queue, k.pending = nil, 0
	k.drained.Broadcast()
	k.mu.Unlock()
	for i := range queue {
		c := &queue[i]
		from := 0
		for j := range c.recs {
			r := &c.recs[j]
			k.gather(c.closed[from:r.at])
			from = r.at
			if r.q.kind == qHost {
				k.flushHost(r.q.addr)
			}
			k.b.add(k.nextSeq(), &r.q)
		}
		k.gather(c.closed[from:])
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, c := range queue {
		if cap(c.closed) > 0 && len(k.free) < 256 {
			k.free = append(k.free, c.closed[:0])
		}
	}
}

// gather adds non-open ports to their hosts' ranges.
func (k *Sink) gather(ps []closedPort) {
	for i := range ps {
		p := &ps[i]
		cp := k.last
		if cp == nil || k.lastAddr != p.addr || k.last4 != p.is4 {
			a := p.host()
			if cp = k.hosts[a]; cp == nil {
				cp = &closedPorts{}
				k.hosts[a] = cp
			}
			k.last, k.lastAddr, k.last4 = cp, p.addr, p.is4
		}
		cp.add(p)
		if k.held++; k.held >= maxHeld {
			for a := range k.hosts {
				k.flushHost(a)
			}
		}
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
		tick := false
		select {
		case <-k.stop:
			return
		case <-k.wake:
		case <-t.C:
			tick = true
			k.want.Store(true)
		}
		k.take()
		if tick || k.b.rows >= flushRows {
			k.commit()
		}
	}
}

// commit writes the writer's batch in one transaction.
func (k *Sink) commit() {
	b := k.b
	k.b = batch{}
	if b.rows == 0 && b.counts == (counts{}) || k.Err() != nil {
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
	if !k.began {
		return k.Err()
	}
	k.handOver()
	close(k.stop)
	<-k.done
	if k.open != nil && k.st != nil {
		defer k.st.Close()
	}
	if err := k.Err(); err != nil {
		return err
	}
	k.take()
	for a := range k.hosts {
		k.flushHost(a)
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

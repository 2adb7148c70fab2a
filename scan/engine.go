package scan

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ajarsec/ajar/record"
)

// Targets is the host space a scan walks: addresses by index, never
// expanded into a list.
type Targets interface {
	Len() uint64
	At(i uint64) netip.Addr
}

// Namer is implemented by Targets that remember the hostname an address
// came from.
type Namer interface {
	Name(netip.Addr) string
}

// Order is a bijection of [0, n): the order the (host, port) index space is
// probed in.
type Order interface {
	At(i uint64) uint64
}

// Config tunes the engine. The zero value is a sensible default for every
// field.
type Config struct {
	// Ports are the ports probed on every host, each once, by the prober
	// given to New. NewPlans takes its ports from its plans instead.
	Ports []uint16
	// Order permutes the index space; nil probes in order (host-major).
	Order Order
	// Shard, Shards: probe only the indices i of the permuted space with
	// i % Shards == Shard (0-based). Shards 0 or 1 means the whole space.
	Shard, Shards uint64
	// Rate is a fixed pace, in probes sent per second (retries
	// included). 0 makes the rate adaptive (pace.go): it starts at
	// StartRate, grows while the probes keep up and no answer is lost,
	// and backs off when answers are lost, between MinRate (0:
	// DefaultMinRate) and MaxRate (0: no bound).
	Rate, MinRate, MaxRate float64
	// Pacer, when set, paces the engine in place of one of its own, and
	// Rate, MinRate and MaxRate are the pacer's.
	Pacer *Pacer
	// MaxParallel caps probes in flight; 0 picks a limit from the file
	// descriptors available.
	MaxParallel int
	// Retries is how many more times a silent port is probed; 0 is one
	// retry, a negative value none.
	Retries int
	// MinTimeout, MaxTimeout bound the wait for an answer; InitialTimeout
	// is the wait before any round-trip time is known. Defaults 100 ms,
	// 3 s and 1 s.
	MinTimeout, MaxTimeout, InitialTimeout time.Duration
}

const (
	defaultMinTimeout     = 100 * time.Millisecond
	defaultMaxTimeout     = 3 * time.Second
	defaultInitialTimeout = time.Second
	// loopbackParallel caps probes in flight to this machine's loopback:
	// they are answered inside the kernel at once, and more in flight
	// would only add scheduling (measured: 256 scan all ports of
	// 127.0.0.1 in two thirds of the time 10,000 take).
	loopbackParallel = 256
	// warmup probes go out before the first answer sets the timeouts.
	warmup = 32
	// fdReserve file descriptors are left for everything but probes.
	fdReserve = 512
	// defaultMaxParallel caps probes in flight when nothing else does:
	// each holds a socket (connect, UDP), and, on the goroutine-per-probe
	// path, a goroutine (about 8 KiB in all); this many keep a scan under
	// 100 MB while silent ports hold them.
	defaultMaxParallel = 10000
)

// Progress is how far a scan has come.
type Progress struct {
	Done, Total, Open uint64
}

// Engine runs one scan. Make it with New, run it once with Run; Progress
// may be called at any time from any goroutine.
type Engine struct {
	targets Targets
	plans   []Plan
	// slots flattens the plans' ports: slot i is probed with
	// plans[slots[i].plan] on port slots[i].port.
	slots   []slot
	cfg     Config
	total   uint64 // probes (host, port pairs) in this shard
	space   uint64 // size of the whole index space
	done    atomic.Uint64
	open    atomic.Uint64
	timing  *timing
	par     int // the most probes in flight
	workers int // workers started, up to par

	// failed is set, once, to a local error that keeps probes from being
	// sent at all (a firewall on this machine, say): it stops the scan.
	failOnce sync.Once
	failed   error
	stop     context.CancelFunc
	// from, track: where RunTracked starts, and its low-water mark
	// (checkpoint.go).
	from  Resume
	track *tracker
	pace  *pacer
}

// maxFreeTries bounds the tries of one probe that do not count against
// Config.Retries because probes sent after them were lost.
const maxFreeTries = 8

// maxLocalFails is how often one probe may fail on this machine's side
// (no buffer, no port, no permission) before the scan gives up.
const maxLocalFails = 10

func (e *Engine) fail(err error) {
	e.failOnce.Do(func() {
		e.failed = err
		e.stop()
	})
}

// Plan pairs a technique with the ports it probes on every host.
type Plan struct {
	Prober Prober
	Ports  []uint16
}

type slot struct {
	plan uint8
	port uint16
}

// New checks cfg and makes an engine that probes cfg.Ports with prober.
func New(targets Targets, prober Prober, cfg Config) (*Engine, error) {
	return NewPlans(targets, []Plan{{Prober: prober, Ports: cfg.Ports}}, cfg)
}

// NewPlans makes an engine that runs several techniques in one scan, such
// as TCP connect on some ports and UDP on others: their probes share one
// permuted order, one pace and one parallelism limit. cfg.Ports is unused.
func NewPlans(targets Targets, plans []Plan, cfg Config) (*Engine, error) {
	if targets == nil || targets.Len() == 0 {
		return nil, errors.New("scan: no targets")
	}
	if len(plans) == 0 || len(plans) > 255 {
		return nil, errors.New("scan: no probers, or too many")
	}
	var slots []slot
	for i, p := range plans {
		if p.Prober == nil {
			return nil, errors.New("scan: a plan without a prober")
		}
		for _, port := range p.Ports {
			slots = append(slots, slot{plan: uint8(i), port: port})
		}
	}
	if len(slots) == 0 {
		return nil, errors.New("scan: no ports")
	}
	if cfg.Shards == 0 {
		cfg.Shards = 1
	}
	if cfg.Shard >= cfg.Shards {
		return nil, fmt.Errorf("scan: shard %d of %d", cfg.Shard+1, cfg.Shards)
	}
	if cfg.Rate < 0 || cfg.MinRate < 0 || cfg.MaxRate < 0 || cfg.MaxParallel < 0 {
		return nil, errors.New("scan: negative rate or parallelism")
	}
	if cfg.MaxRate > 0 && cfg.MinRate > cfg.MaxRate {
		return nil, fmt.Errorf("scan: least rate %g above the most, %g", cfg.MinRate, cfg.MaxRate)
	}
	n := targets.Len()
	np := uint64(len(slots))
	if n > ^uint64(0)/np {
		return nil, fmt.Errorf("scan: %d hosts × %d ports is too many probes", n, np)
	}
	if cfg.MinTimeout <= 0 {
		cfg.MinTimeout = defaultMinTimeout
	}
	if cfg.MaxTimeout <= 0 {
		cfg.MaxTimeout = max(defaultMaxTimeout, cfg.MinTimeout)
	}
	if cfg.InitialTimeout <= 0 {
		cfg.InitialTimeout = min(max(defaultInitialTimeout, cfg.MinTimeout), cfg.MaxTimeout)
	}
	if cfg.Retries == 0 {
		cfg.Retries = 1
	} else if cfg.Retries < 0 {
		cfg.Retries = 0
	}
	e := &Engine{targets: targets, plans: plans, slots: slots, cfg: cfg, space: n * np}
	e.total = e.space / cfg.Shards
	if cfg.Shard < e.space%cfg.Shards {
		e.total++
	}
	e.timing = newTiming(n, cfg.MinTimeout, cfg.MaxTimeout, cfg.InitialTimeout)
	return e, nil
}

// Progress reports the probes done, the total, and open ports found.
func (e *Engine) Progress() Progress {
	return Progress{Done: e.done.Load(), Total: e.total, Open: e.open.Load()}
}

// Parallelism is the number of probes the engine keeps in flight, known
// once Run has started.
func (e *Engine) Parallelism() int { return e.par }

type job struct {
	pos  uint64 // position in this shard's order
	host uint64
	addr netip.Addr
	port uint16
	plan uint8
}

// run is Run and RunTracked: emit also gets each result's position.
func (e *Engine) run(parent context.Context, emit func(*record.PortResult, uint64)) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	e.stop = cancel
	limit, err := openFileLimit()
	if err != nil {
		return fmt.Errorf("reading the open-file limit: %w", err)
	}
	e.par = e.cfg.MaxParallel
	if e.par == 0 {
		e.par = e.defaultParallel()
		if allLoopback(e.targets) {
			e.par = loopbackParallel
		}
	}
	async := e.isAsync()
	if limit > 0 && !e.noDescriptors() {
		e.par = min(e.par, max(int(limit)-fdReserve, 1))
	}
	e.par = int(min(uint64(e.par), e.total))
	if e.par == 0 {
		return nil
	}

	if e.cfg.Pacer != nil {
		e.pace = e.cfg.Pacer.p
		e.pace.setHold(e.timing.first)
		defer e.pace.setHold(nil)
	} else {
		e.pace = newPacer(&e.cfg, e.timing.first)
		defer e.pace.stop()
	}
	var namer Namer
	if nm, ok := e.targets.(Namer); ok {
		namer = nm
	}

	if async {
		e.runAsync(ctx, emit, namer)
		if e.failed != nil {
			return e.failed
		}
		return parent.Err()
	}

	jobs := make(chan job)
	results := make(chan tracked, 4096)
	var wg sync.WaitGroup
	worker := func() {
		defer wg.Done()
		// One worker per plan, made when first needed.
		ws := make([]Worker, len(e.plans))
		defer func() {
			for _, w := range ws {
				if w != nil {
					w.Close()
				}
			}
		}()
		for j := range jobs {
			w := ws[j.plan]
			if w == nil {
				w = e.plans[j.plan].Prober.NewWorker()
				ws[j.plan] = w
			}
			r, ok := e.probe(ctx, w, j)
			if !ok {
				continue // cancelled: nothing learnt
			}
			if namer != nil {
				r.Hostname = namer.Name(j.addr)
			}
			results <- tracked{r, j.pos}
		}
	}
	// Workers are started as they are needed, up to e.par: when answers
	// come at once (loopback) a few suffice, and each one costs a socket.
	spawn := func() bool {
		// No new worker while results wait to be written: the bottleneck
		// is then the consumer, and more workers would only pile up.
		if e.workers >= e.par || len(results) > cap(results)/2 {
			return false
		}
		e.workers++
		wg.Add(1)
		go worker()
		return true
	}
	go func() {
		e.feed(ctx, jobs, spawn)
		close(jobs)
		wg.Wait()
		close(results)
	}()
	for t := range results {
		e.done.Add(1)
		if t.State == record.Open {
			e.open.Add(1)
		}
		emit(&t.PortResult, t.pos)
		e.track.finish(t.pos)
	}
	if e.failed != nil {
		return e.failed
	}
	return parent.Err()
}

// feed walks this shard's part of the permuted index space.
func (e *Engine) feed(ctx context.Context, jobs chan<- job, spawn func() bool) {
	np := uint64(len(e.slots))
	sent := 0
	for k := e.from.Start; k < e.total; k++ {
		probe, ok := e.admit(ctx, k)
		if !ok {
			return
		}
		if !probe {
			continue // done before RunTracked started
		}
		if sent == warmup {
			// Hold the rest until the first answer sets the timeouts, so
			// that a first wave of silent ports does not each wait the
			// initial timeout.
			t := time.NewTimer(e.cfg.InitialTimeout)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-e.timing.warm:
			case <-t.C:
			}
			t.Stop()
		}
		idx := e.cfg.Shard + k*e.cfg.Shards // k-th position of the shard
		if e.cfg.Order != nil {
			idx = e.cfg.Order.At(idx)
		}
		h := idx / np
		sl := e.slots[idx%np]
		j := job{pos: k, host: h, addr: e.targets.At(h), port: sl.port, plan: sl.plan}
		select {
		case jobs <- j:
			sent++
			continue
		default:
		}
		spawn()
		select {
		case jobs <- j:
			sent++
		case <-ctx.Done():
			return
		}
	}
}

// probe runs one probe with its retries.
func (e *Engine) probe(ctx context.Context, w Worker, j job) (record.PortResult, bool) {
	dst := netip.AddrPortFrom(j.addr, j.port)
	proto := e.plans[j.plan].Prober.Proto()
	r := record.PortResult{Host: j.addr, Port: j.port, Proto: proto}
	backoff := time.Millisecond
	localFails := 0
	var silent time.Time         // when the last unanswered try was sent
	var silentWait time.Duration // how long it was waited for
	free := 0                    // unanswered tries not counted as attempts
	for attempt := 0; attempt <= e.cfg.Retries; {
		if err := e.pace.wait(ctx, !silent.IsZero()); err != nil {
			return r, false
		}
		if ctx.Err() != nil {
			return r, false
		}
		sent := time.Now()
		wait := e.timing.timeout(j.host, attempt)
		out := w.Probe(ctx, dst, wait)
		switch {
		case out.Err != nil:
			if ctx.Err() != nil {
				return r, false
			}
			if errors.Is(out.Err, syscall.ENOBUFS) || errors.Is(out.Err, syscall.EAGAIN) {
				// A full queue on this machine: the rate is too high
				// for the way out.
				e.pace.loss(sent)
			}
			if localFails++; localFails > maxLocalFails {
				e.fail(fmt.Errorf("probing %v: %w", dst, out.Err))
				return r, false
			}
			// A local shortage: wait and try the same attempt again.
			select {
			case <-ctx.Done():
				return r, false
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 500*time.Millisecond)
			runtime.Gosched()
			continue
		case out.NoAnswer:
			if ctx.Err() != nil {
				return r, false // the wait was cut short: nothing learnt
			}
			silent, silentWait = sent, wait
			if free < maxFreeTries && e.pace.lossNear(sent) {
				// Sent while the path lost packets: the silence
				// says little of the port.
				free++
				continue
			}
			attempt++
			continue
		}
		// An answer to a retry after silence is a loss; but an answer
		// whose round trip is longer than the silent try's wait is that
		// try's, late (a prober may tell, and time it from that try's
		// send): the path was slow, not lossy.
		if !silent.IsZero() && lossSignal(out.Reason) && out.RTT <= silentWait {
			e.pace.loss(silent)
		}
		if out.RTT > 0 {
			e.timing.add(j.host, out.RTT)
		}
		r.State, r.Reason, r.RTT = out.State, out.Reason, out.RTT
		return r, true
	}
	r.State, r.Reason = record.Filtered, record.ReasonNoResponse
	if proto == record.UDP {
		r.State = record.OpenFiltered // UDP services often answer nothing
	}
	return r, true
}

// allLoopback reports whether every target is a loopback address; it
// looks at no more than 65,536 of them, and says no for larger sets.
func allLoopback(t Targets) bool {
	n := t.Len()
	if n == 0 || n > 1<<16 {
		return false
	}
	for i := range n {
		if !t.At(i).Unmap().IsLoopback() {
			return false
		}
	}
	return true
}

// PaceStats reports how the pacer fared in the run; call it once Run has
// returned.
func (e *Engine) PaceStats() PaceStats {
	if e.pace == nil {
		return PaceStats{}
	}
	return e.pace.stats()
}

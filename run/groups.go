package run

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sync/atomic"
	"time"

	"github.com/ajarsec/ajar/discover"
	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/scan"
	"github.com/ajarsec/ajar/target"
	"github.com/ajarsec/ajar/target/perm"
)

// A scan walks its targets in host groups, as nmap does: each group of
// Config.HostGroup addresses (in target order) is discovered (or, without
// discovery, taken as up), then the ports of its live hosts are scanned,
// while the next group is discovered (one group ahead at most). When a
// group's port scan ends its up hosts' records are written, so outputs
// can print each host as it is finished. Nothing held is
// proportional to the whole target set: a group's live hosts, the engine
// of one group, the discovery of the next.
//
// Positions (what a checkpoint records, see resume.go) are laid out per
// group: group g owns positions [g·G·P, (g+1)·G·P) of the N·P of the scan
// (G hosts a group, P probes a host, N targets); its engine's position k,
// over the group's live hosts only, is the scan's position g·G·P + k. When
// a group is done the mark jumps to the next group's first position. A
// group's live hosts are saved in the checkpoint's host file before its
// first probe, so that a resumed scan rebuilds the same engine (groups
// without discovery need no record: all their hosts are up).

// portScan is the port scan Scan runs: one engine over every target (a
// shard), or host groups.
type portScan interface {
	// Total is the number of positions (see scan.Resume).
	Total() uint64
	// Mark is the low-water mark of a tracked run.
	Mark() uint64
	// Progress is what the progress line shows, and its unit.
	Progress() (done, total, open uint64)
	// Run runs the scan from from; tracked keeps the mark.
	Run(ctx context.Context, from scan.Resume, tracked bool, emit func(*record.PortResult, uint64, uint64)) error
	// Stopped says how far a stopped scan came.
	Stopped() string
	// hostsDone is how many hosts are finished: found down, or every
	// port probed.
	hostsDone() uint64
}

// oneEngine is a scan without host groups.
type oneEngine struct {
	e     *scan.Engine
	hosts uint64
}

func (o oneEngine) Total() uint64 { return o.e.Progress().Total }
func (o oneEngine) Mark() uint64  { return o.e.Mark() }

func (o oneEngine) Progress() (uint64, uint64, uint64) {
	p := o.e.Progress()
	return p.Done, p.Total, p.Open
}

func (o oneEngine) Run(ctx context.Context, from scan.Resume, tracked bool, emit func(*record.PortResult, uint64, uint64)) error {
	if !tracked {
		return o.e.Run(ctx, func(r *record.PortResult) { emit(r, 0, 0) })
	}
	return o.e.RunTracked(ctx, from, func(r *record.PortResult, pos uint64) { emit(r, pos, 0) })
}

func (o oneEngine) hostsDone() uint64 {
	if p := o.e.Progress(); p.Done == p.Total {
		return o.hosts
	}
	return 0
}

func (o oneEngine) Stopped() string {
	p := o.e.Progress()
	return fmt.Sprintf("%d of %d probes done", p.Done, p.Total)
}

// groupRecord is what discovery found in one group: its up hosts in
// target order, and the down hosts whose reason is not silence.
type groupRecord struct {
	g       uint64
	up      []record.Host
	downWhy map[netip.Addr]record.Reason
}

// downHosts calls fn with the record of every down host of the group.
func (gr *groupRecord) downHosts(view groupView, fn func(*record.Host)) {
	up := make(map[netip.Addr]bool, len(gr.up))
	for _, h := range gr.up {
		up[h.Addr] = true
	}
	for i := range view.Len() {
		a := view.At(i)
		if up[a] {
			continue
		}
		h := record.Host{Addr: a, Name: view.set.Name(a), State: record.Down, Reason: record.ReasonNoResponse}
		if why, ok := gr.downWhy[a]; ok {
			h.Reason = why
		}
		fn(&h)
	}
}

// groupView is one host group of a target set: its hosts [from, from+n).
type groupView struct {
	set     target.Set
	from, n uint64
}

func (v groupView) Len() uint64              { return v.n }
func (v groupView) At(i uint64) netip.Addr   { return v.set.At(v.from + i) }
func (v groupView) Name(a netip.Addr) string { return v.set.Name(a) }
func (gs *groupScan) view(g uint64) groupView {
	from := g * gs.size
	return groupView{set: gs.all, from: from, n: min(gs.size, gs.all.Len()-from)}
}

// liveHosts are a group's up hosts, for its engine.
type liveHosts struct {
	addrs []netip.Addr
	set   target.Set
}

func (l liveHosts) Len() uint64              { return uint64(len(l.addrs)) }
func (l liveHosts) At(i uint64) netip.Addr   { return l.addrs[i] }
func (l liveHosts) Name(a netip.Addr) string { return l.set.Name(a) }

// groupScan is a port scan in host groups.
type groupScan struct {
	all   target.Set
	size  uint64 // hosts a group
	np    uint64 // probes a host
	plans []scan.Plan
	cfg   scan.Config // without Order, Shard
	seed  uint64
	sess  *discover.Session // nil: every host is up
	// hostOut writes a host record to the outputs; it may run on the
	// discovery goroutine, while results are written.
	hostOut func(*record.Host)
	// upOut writes the records of a group's up hosts when its port scan
	// is done.
	upOut func(g uint64, up []record.Host)
	// hostTimeout is Config.HostTimeout.
	hostTimeout time.Duration
	// saved are the groups a resumed checkpoint's host file holds, from
	// the group it resumes in; save, when set, records each new group
	// there before its first probe.
	saved map[uint64]*groupRecord
	save  func(*groupRecord) error
	// tell, when set, hears of each group as its port scan starts (a
	// line above the progress bar on a terminal).
	tell func(string)

	mark     atomic.Uint64 // the mark between engines
	cur      atomic.Pointer[groupEngine]
	finished atomic.Uint64 // hosts of finished groups
	openDone atomic.Uint64 // open ports of finished groups
	group    atomic.Uint64 // the group being scanned, from 0
	up, down atomic.Uint64
}

// groupEngine is the engine of the group being scanned.
type groupEngine struct {
	e        *scan.Engine
	base     uint64 // the group's first position
	from, n  uint64 // its hosts
	downHere uint64
}

func (gs *groupScan) groups() uint64 { return (gs.all.Len() + gs.size - 1) / gs.size }

func (gs *groupScan) Total() uint64 { return gs.all.Len() * gs.np }

func (gs *groupScan) Mark() uint64 {
	if c := gs.cur.Load(); c != nil {
		return max(c.base+c.e.Mark(), gs.mark.Load())
	}
	return gs.mark.Load()
}

// Progress counts probes: np for each host of a finished group or found
// down, and the current group's probes done.
func (gs *groupScan) Progress() (uint64, uint64, uint64) {
	done, open := gs.finished.Load()*gs.np, gs.openDone.Load()
	if c := gs.cur.Load(); c != nil {
		p := c.e.Progress()
		done = (c.from+c.downHere)*gs.np + p.Done
		open += p.Open
	}
	return done, gs.Total(), open
}

func (gs *groupScan) hostsDone() uint64 { return gs.finished.Load() }

func (gs *groupScan) Stopped() string {
	done, total, _ := gs.Progress()
	return fmt.Sprintf("host group %d of %d (%d of %d hosts done)", gs.group.Load()+1, gs.groups(), done, total)
}

// discovered is a group's record, or the error that stopped discovery.
type discovered struct {
	rec *groupRecord
	err error
}

// Run discovers and scans the groups from the one holding from.Start,
// discovery running one group ahead of the port scan.
func (gs *groupScan) Run(ctx context.Context, from scan.Resume, tracked bool, emit func(*record.PortResult, uint64, uint64)) error {
	span := gs.size * gs.np
	first := from.Start / span
	gs.mark.Store(from.Start)
	gs.finished.Store(min(first*gs.size, gs.all.Len()))
	if first >= gs.groups() {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan discovered)
	go gs.discoverAll(ctx, first, ch)
	for d := range ch {
		if d.err != nil {
			return d.err
		}
		g := d.rec.g
		gs.group.Store(g)
		if gs.tell != nil && gs.sess != nil {
			gs.tell(fmt.Sprintf("host group %d of %d: %d of %d hosts up", g+1, gs.groups(), len(d.rec.up), gs.view(g).n))
		}
		base := g * span
		local := scan.Resume{}
		if g == first {
			if from.Start > base {
				local.Start = from.Start - base
			}
			if from.Done != nil {
				local.Done = func(k uint64) bool { return from.Done(base + k) }
			}
		}
		if err := gs.scanGroup(ctx, d.rec, base, local, tracked, emit); err != nil {
			return err
		}
		if ctx.Err() != nil {
			break // an unfinished group's hosts get no record
		}
		gs.upOut(g, d.rec.up)
		v := gs.view(g)
		gs.finished.Store(v.from + v.n)
		gs.mark.Store(min(base+span, gs.Total()))
	}
	return ctx.Err()
}

// scanGroup scans the ports of one group's live hosts.
func (gs *groupScan) scanGroup(ctx context.Context, rec *groupRecord, base uint64, local scan.Resume, tracked bool, emit func(*record.PortResult, uint64, uint64)) error {
	if len(rec.up) == 0 {
		return nil
	}
	live := liveHosts{addrs: make([]netip.Addr, len(rec.up)), set: gs.all}
	for i, h := range rec.up {
		live.addrs[i] = h.Addr
	}
	cfg := gs.cfg
	cfg.Order = perm.New(live.Len()*gs.np, gs.seed)
	e, err := scan.NewPlans(live, gs.plans, cfg)
	if err != nil {
		return err
	}
	if gs.hostTimeout > 0 {
		clock := newHostClock(live.Len(), gs.np, cfg.Order, gs.hostTimeout)
		local.Done = clock.skip(local.Done)
		defer clock.note(rec.up)
		tracked = true // the engine skips positions only when tracked
	}
	v := gs.view(rec.g)
	gs.cur.Store(&groupEngine{e: e, base: base, from: v.from, n: v.n, downHere: v.n - live.Len()})
	defer func() {
		gs.openDone.Add(e.Progress().Open)
		// The group's mark outlives its engine: a stopped scan's
		// checkpoint is committed after it.
		if m := base + e.Mark(); m > gs.mark.Load() {
			gs.mark.Store(m)
		}
		gs.cur.Store(nil)
	}()
	if !tracked {
		return e.Run(ctx, func(r *record.PortResult) { emit(r, 0, rec.g) })
	}
	return e.RunTracked(ctx, local, func(r *record.PortResult, k uint64) { emit(r, base+k, rec.g) })
}

// discoverAll discovers the groups from first on, in order, and hands
// each to the scan; it waits for the scan to take a group before it
// discovers the one after.
func (gs *groupScan) discoverAll(ctx context.Context, first uint64, ch chan<- discovered) {
	defer close(ch)
	for g := first; g < gs.groups(); g++ {
		rec, err := gs.discoverGroup(ctx, g)
		if err == nil {
			rec.downHosts(gs.view(g), gs.hostOut)
		}
		select {
		case ch <- discovered{rec, err}:
		case <-ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
}

// discoverGroup finds the live hosts of group g, or takes them from the
// checkpoint, and records them there before any of their ports is probed.
func (gs *groupScan) discoverGroup(ctx context.Context, g uint64) (*groupRecord, error) {
	if gs.sess == nil {
		return gs.allUp(g), nil
	}
	if rec, ok := gs.saved[g]; ok {
		delete(gs.saved, g)
		gs.count(rec)
		return rec, nil
	}
	rec := &groupRecord{g: g}
	err := gs.sess.Run(ctx, gs.view(g), func(h record.Host) {
		switch {
		case h.State == record.Up:
			rec.up = append(rec.up, h)
		case h.Reason != record.ReasonNoResponse:
			if rec.downWhy == nil {
				rec.downWhy = map[netip.Addr]record.Reason{}
			}
			rec.downWhy[h.Addr] = h.Reason
		}
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("host discovery: %w", err)
	}
	// Target order: the same engine on resume, whatever order the
	// answers came in.
	slices.SortFunc(rec.up, func(a, b record.Host) int { return a.Addr.Compare(b.Addr) })
	gs.count(rec)
	if gs.save != nil {
		if err := gs.save(rec); err != nil {
			return nil, err
		}
	}
	return rec, nil
}

func (gs *groupScan) count(rec *groupRecord) {
	gs.up.Add(uint64(len(rec.up)))
	gs.down.Add(gs.view(rec.g).n - uint64(len(rec.up)))
}

// allUp is the record of a group scanned without discovery: every host
// up, as the user said.
func (gs *groupScan) allUp(g uint64) *groupRecord {
	v := gs.view(g)
	rec := &groupRecord{g: g, up: make([]record.Host, v.n)}
	for i := range v.n {
		a := v.At(i)
		rec.up[i] = record.Host{Addr: a, Name: v.Name(a), State: record.Up, Reason: record.ReasonUserSet}
	}
	return rec
}

package run

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/scan"
	"github.com/ajarsec/ajar/scan/journal"
	"github.com/ajarsec/ajar/target"
)

// checkpointFormat is the version of what a checkpoint's header keeps of
// its scan (checkpointMeta).
const checkpointFormat = 2

// checkpointMeta is what a checkpoint keeps of its scan, to run the rest
// of it: the Config (with the seed it drew, even a random one), the
// targets as resolved (so that DNS answers or a target file changed since
// cannot move a probe), and what the scan probes, to check that a resumed
// scan is the same.
type checkpointMeta struct {
	Command string                `json:"command"`
	Format  int                   `json:"format"`
	Started time.Time             `json:"started"`
	Config  Config                `json:"config"`
	Targets string                `json:"targets"`
	Names   map[netip.Addr]string `json:"names,omitempty"`
	Zones   map[netip.Addr]string `json:"zones,omitempty"` // of link-local targets (fe80::1%eth0)
	Hosts   uint64                `json:"hosts"`
	Scans   []string              `json:"scans"`
	// HostGroup is the hosts of a host group when the scan walks its
	// targets in groups (groups.go), whose discovery records are in the
	// host file next to the checkpoint; 0 when one engine scans every
	// target (a shard).
	HostGroup uint64 `json:"host_group,omitempty"`
	// Discovered is set when the groups' hosts were discovered, and
	// their records are in the host file.
	Discovered bool `json:"discovered,omitempty"`
}

// checkpointCommit is how often a running scan commits its checkpoint.
const checkpointCommit = time.Second

// Checkpoint is the checkpoint file of a stopped scan, opened to resume
// it: Config gives the scan it holds, to hand to Scan (with another pace,
// or identification, if wanted).
type Checkpoint struct {
	path string
	j    *journal.Journal
	meta checkpointMeta
	cfg  Config
}

// OpenCheckpoint opens the checkpoint at path and rebuilds the scan it
// holds, without resolving anything. Errors wrap ErrConfig when the file
// is not a checkpoint this ajar can resume.
func OpenCheckpoint(ctx context.Context, path string) (*Checkpoint, error) {
	j, err := journal.Open(path)
	if err != nil {
		return nil, configErrorf("cannot resume: %v", err)
	}
	c := &Checkpoint{path: path, j: j}
	if err := c.load(ctx); err != nil {
		j.Close()
		return nil, err
	}
	return c, nil
}

func (c *Checkpoint) load(ctx context.Context) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(c.j.Meta, &raw); err != nil || string(raw["command"]) != `"scan"` {
		return configErrorf("cannot resume: %s: not the checkpoint of an ajar scan", c.path)
	}
	if _, old := raw["flags"]; old {
		return configErrorf("cannot resume: %s was made by an older ajar, whose checkpoints this one cannot read: run that scan again", c.path)
	}
	if err := json.Unmarshal(c.j.Meta, &c.meta); err != nil || c.meta.Format != checkpointFormat {
		return configErrorf("cannot resume: %s: not a checkpoint this ajar can read (format %d)", c.path, c.meta.Format)
	}
	set, err := c.targets(ctx)
	if err != nil {
		return configErrorf("cannot resume: %s: bad targets: %v", c.path, err)
	}
	c.cfg = c.meta.Config
	c.cfg.Targets = set
	c.cfg.Resume = c
	return nil
}

// targets rebuilds the targets the checkpoint holds.
func (c *Checkpoint) targets(ctx context.Context) (target.Set, error) {
	specs, err := target.ParseList(c.meta.Targets)
	if err == nil && len(specs) == 0 {
		err = errors.New("no targets")
	}
	for _, s := range specs {
		if err == nil && s.Kind() == target.KindHost {
			err = fmt.Errorf("hostname %s among resolved targets", s)
		}
	}
	var set target.Set
	if err == nil {
		// No hostnames: nothing to look up.
		set, err = target.Resolve(ctx, specs, target.ResolveOptions{})
	}
	if err == nil {
		if set.Len() != c.meta.Hosts {
			err = fmt.Errorf("%d targets, the checkpoint says %d", set.Len(), c.meta.Hosts)
		}
	}
	return set.WithNames(c.meta.Names).WithZones(c.meta.Zones), err
}

// Config is the scan the checkpoint holds, set to resume from it.
func (c *Checkpoint) Config() Config { return c.cfg }

// Path is the checkpoint's file.
func (c *Checkpoint) Path() string { return c.path }

// Started is when the checkpointed scan first started.
func (c *Checkpoint) Started() time.Time { return c.meta.Started }

// Close releases the file when the scan is not resumed after all.
func (c *Checkpoint) Close() error { return c.j.Close() }

// ckpt is the checkpoint of a running scan: made for Config.Checkpoint,
// or continued from Config.Resume. Its methods do nothing on a nil ckpt,
// the scan without one.
type ckpt struct {
	path    string
	ev      *Events
	resumed *Checkpoint // the checkpoint resumed, if any
	w       *journal.Writer
	fresh   bool // made by this run
	sc      portScan
	hosts   *hostFile // the host file of a scan in host groups
	gs      *groupScan
	first   uint64 // the host group a resumed scan goes on in
	stop    chan struct{}
	wg      sync.WaitGroup
	warn    sync.Once
}

// beginCheckpoint makes the checkpoint of a scan asked for with
// cfg.Checkpoint, or checks that the scan about to resume is the one its
// checkpoint holds and opens it for appending.
func beginCheckpoint(cfg *Config, infos []ScanInfo, sc portScan) (*ckpt, error) {
	total := sc.Total()
	gs, _ := sc.(*groupScan)
	scans := describe(infos)
	if c := cfg.Resume; c != nil {
		j := c.j
		switch {
		case !slices.Equal(scans, c.meta.Scans):
			return nil, configErrorf("cannot resume: %s holds a %s scan, and this would be a %s one",
				c.path, strings.Join(c.meta.Scans, ", "), strings.Join(scans, ", "))
		case j.Total != total || j.All != cfg.AllPorts:
			return nil, configErrorf("cannot resume: %s holds a scan of %d probes, this one would have %d", c.path, j.Total, total)
		case !cfg.Targets.Equal(c.cfg.Targets):
			return nil, configErrorf("cannot resume: %s holds a scan of other targets", c.path)
		}
		ck := &ckpt{path: c.path, ev: &cfg.Events, resumed: c, sc: sc}
		if gs != nil {
			if err := ck.resumeGroups(gs); err != nil {
				return nil, err
			}
		}
		w, err := j.Append()
		if err != nil {
			ck.hosts.close()
			return nil, fmt.Errorf("resuming %s: %w", c.path, err)
		}
		ck.w = w
		return ck, nil
	}
	if cfg.Checkpoint == "" {
		return nil, errors.New("no checkpoint to make or resume")
	}
	meta := checkpointMeta{
		Command: "scan", Format: checkpointFormat, Started: time.Now().UTC().Truncate(time.Second),
		Config: *cfg, Targets: cfg.Targets.String(), Names: cfg.Targets.Names(), Zones: cfg.Targets.Zones(), Hosts: cfg.Targets.Len(), Scans: scans,
	}
	var hosts *hostFile
	if gs != nil {
		meta.HostGroup = gs.size
	}
	if gs != nil && gs.sess != nil {
		meta.Discovered = true
		var err error
		hosts, err = createHostFile(cfg.Checkpoint)
		switch {
		case errors.Is(err, os.ErrExist):
			return nil, configErrorf("checkpoint %s%s exists: resume its scan with --resume %s, or remove both", cfg.Checkpoint, hostFileSuffix, cfg.Checkpoint)
		case err != nil:
			return nil, configErrorf("checkpoint: %v", err)
		}
		gs.save = hosts.save
	}
	raw, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	w, err := journal.Create(cfg.Checkpoint, journal.Header{Total: total, All: cfg.AllPorts, Meta: raw})
	if err != nil {
		hosts.remove()
	}
	switch {
	case errors.Is(err, os.ErrExist):
		return nil, configErrorf("checkpoint %s exists: resume its scan with --resume %[1]s, or remove it", cfg.Checkpoint)
	case err != nil:
		return nil, configErrorf("checkpoint: %v", err)
	}
	return &ckpt{path: cfg.Checkpoint, ev: &cfg.Events, w: w, fresh: true, sc: sc, hosts: hosts}, nil
}

// release gives the file up when the scan never started: a checkpoint
// made for it is removed, a resumed one kept as it was.
func (ck *ckpt) release() {
	if ck == nil || ck.w == nil || ck.stop != nil {
		return
	}
	if ck.fresh {
		ck.w.Remove()
		ck.hosts.remove()
	} else {
		ck.w.Close()
		ck.hosts.close()
	}
	ck.w, ck.hosts = nil, nil
}

// replay hands the results a resumed checkpoint holds to handle, the way
// the scan hands its own. Ports only counted (closed and filtered ones,
// without AllPorts) come as that many results of port 0, which no output
// lists: they only add up to the outputs' "not shown" counts.
func (ck *ckpt) replay(handle func(*record.PortResult)) error {
	if ck == nil || ck.resumed == nil {
		return nil
	}
	names := ck.resumed.meta.Names
	return ck.resumed.j.Replay(func(r *record.PortResult) error {
		r.Hostname = names[r.Host]
		handle(r)
		return nil
	}, func(c journal.Count) error {
		r := record.PortResult{Host: c.Host, Hostname: names[c.Host], Proto: c.Proto, State: c.State, Reason: c.Reason, RTT: c.RTT}
		for range c.N {
			handle(&r)
			r.RTT = 0
			r.Service = nil
		}
		return nil
	})
}

// run runs the port scan, tracked (from where the checkpoint's scan
// stopped) when there is a checkpoint to keep: without one, positions do
// not matter (emit gets 0), and nothing bounds how far past its slowest
// probe the scan goes.
func (ck *ckpt) run(ctx context.Context, sc portScan, emit func(*record.PortResult, uint64, uint64)) error {
	if ck == nil {
		return sc.Run(ctx, scan.Resume{}, false, emit)
	}
	return sc.Run(ctx, ck.from(), true, emit)
}

// from is where the engine starts: where the checkpoint's scan stopped.
func (ck *ckpt) from() scan.Resume {
	if ck == nil || ck.resumed == nil {
		return scan.Resume{}
	}
	j := ck.resumed.j
	return scan.Resume{Start: j.Mark, Done: j.Done}
}

// openBefore is how many open ports the resumed checkpoint held.
func (ck *ckpt) openBefore() uint64 {
	if ck == nil || ck.resumed == nil {
		return 0
	}
	return ck.resumed.j.Open
}

// record notes one result of the scan.
func (ck *ckpt) record(pos uint64, r *record.PortResult) {
	if ck != nil && ck.w != nil {
		ck.w.Record(pos, r)
	}
}

// start commits the checkpoint every second while the scan runs.
func (ck *ckpt) start() {
	if ck == nil || ck.w == nil {
		return
	}
	ck.stop = make(chan struct{})
	ck.wg.Add(1)
	go func() {
		defer ck.wg.Done()
		t := time.NewTicker(checkpointCommit)
		defer t.Stop()
		for {
			select {
			case <-ck.stop:
				return
			case <-t.C:
				if err := ck.w.Commit(ck.sc.Mark(), false); err != nil {
					ck.warnf("%v: the scan goes on, but can resume only from before this", err)
				}
			}
		}
	}()
}

func (ck *ckpt) warnf(format string, a ...any) {
	ck.warn.Do(func() { ck.ev.note("warning: "+format, a...) })
}

// finish commits the checkpoint a last time when the scan ends. A complete
// scan (every probe done, every record written) removes it; any other
// keeps it to resume from, and says how.
func (ck *ckpt) finish(complete bool) {
	if ck == nil || ck.w == nil {
		return
	}
	if ck.stop != nil {
		close(ck.stop)
		ck.wg.Wait()
	}
	mark, total := max(ck.sc.Mark(), ck.from().Start), ck.sc.Total()
	stopped := ck.sc.Stopped()
	if ck.stop == nil {
		// The scan never ran.
		stopped = fmt.Sprintf("%d of %d probes done", mark, total)
	}
	err := ck.w.Commit(mark, true)
	if complete && mark == total {
		if err := errors.Join(ck.w.Remove(), ck.hosts.remove()); err != nil {
			ck.warnf("removing checkpoint: %v", err)
		} else {
			ck.ev.note("scan complete: removed checkpoint %s", ck.path)
		}
		ck.w, ck.hosts = nil, nil
		return
	}
	closeErr := errors.Join(ck.w.Close(), ck.hosts.close())
	ck.w, ck.hosts = nil, nil
	if err = errors.Join(err, closeErr); err != nil {
		ck.ev.note("warning: checkpoint %s: %v", ck.path, err)
	}
	ck.ev.note("stopped with %s: resume with 'ajar scan --resume %s'", stopped, shellQuote(ck.path))
}

// shellQuote quotes a path for a command line, when it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// resumeGroups reads the host file of a resumed scan in host groups: the
// groups from the one the scan stopped in are handed to gs as saved, the
// ones before are written to the sink later (restoreGroups). The file is
// then opened to append the groups to come.
func (ck *ckpt) resumeGroups(gs *groupScan) error {
	span := gs.size * gs.np
	ck.gs, ck.first = gs, ck.resumed.j.Mark/span
	path := ck.path + hostFileSuffix
	if gs.sess == nil {
		return nil // no discovery: nothing was kept
	}
	gs.saved = map[uint64]*groupRecord{}
	end, err := readHostFile(path, gs, func(rec *groupRecord) error {
		if rec.g >= ck.first {
			gs.saved[rec.g] = rec
		}
		return nil
	})
	if err != nil {
		return configErrorf("cannot resume: %v", err)
	}
	if _, ok := gs.saved[ck.first]; !ok && ck.first < gs.groups() && ck.resumed.j.Mark > ck.first*span {
		return configErrorf("cannot resume: %s has no record of host group %d, which %s scanned part of", path, ck.first+1, ck.path)
	}
	l, err := journal.AppendLines(path, end)
	if err != nil {
		return fmt.Errorf("resuming %s: %w", path, err)
	}
	ck.hosts = &hostFile{l}
	gs.save = ck.hosts.save
	return nil
}

// restoreGroups hands out the host records of the groups a resumed scan
// finished before it stopped: down hosts to down, up hosts to up (after
// the replayed ports). Discovery's records are read from the host file
// again (they are not kept).
func (ck *ckpt) restoreGroups(gs *groupScan, down func(*record.Host), up func([]record.Host)) error {
	if ck == nil || ck.gs == nil || ck.first == 0 {
		return nil
	}
	if gs.sess == nil {
		for g := range min(ck.first, gs.groups()) {
			up(gs.allUp(g).up)
		}
		return nil
	}
	_, err := readHostFile(ck.hosts.Path(), gs, func(rec *groupRecord) error {
		if rec.g >= ck.first {
			return nil
		}
		gs.count(rec)
		rec.downHosts(gs.view(rec.g), down)
		up(rec.up)
		return nil
	})
	return err
}

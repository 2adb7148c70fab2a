package run

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"runtime"
	"time"

	"github.com/ajarsec/ajar/discover"
	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/scan"
	"github.com/ajarsec/ajar/scan/udp"
	"github.com/ajarsec/ajar/target/perm"
)

// maxLimitHosts is how many hosts of a UDP scan get their ICMP rate limit
// measured, when their silent ports may be closed ones.
const maxLimitHosts = 8

// replayGroup keys the host records of groups a resumed scan finished
// before it stopped: they are written after the replayed ports.
const replayGroup = ^uint64(0)

// Scan runs the scan cfg describes and streams what it finds to sink (see
// Sink for the order of the records). It returns when the scan is done,
// or when ctx is cancelled: then what was found is written, the sink is
// ended, a checkpoint is kept to resume from, and Scan returns ctx's
// error. Errors in cfg wrap ErrConfig and come before the sink's Begin.
func Scan(ctx context.Context, cfg Config, sink Sink) error {
	if err := cfg.check(); err != nil {
		return err
	}
	cfg.withAudit()
	if cfg.PingOnly {
		return sweep(ctx, &cfg, sink)
	}
	tcp, err := chooseTCP(cfg.TCP, !cfg.Ports.TCP.IsEmpty())
	if err != nil {
		return err
	}
	defer tcp.close()
	udpProber, closeUDP := chooseUDP(!cfg.Ports.UDP.IsEmpty())
	defer closeUDP()
	ps, infos := plans(cfg.Ports, tcp, udpProber)
	seed := cfg.seed()
	cfg.Seed = seed
	sess, err := startDiscovery(&cfg) // nil: every target is up
	if err != nil {
		return err
	}
	if sess != nil {
		defer sess.Close()
	}
	ecfg := engineConfig(&cfg, seed)
	// One pacer for the whole scan: host groups go on at the pace the
	// group before them found.
	pacer := scan.NewPacer(ecfg)
	defer pacer.Stop()
	ecfg.Pacer = pacer
	sc, err := newPortScan(&cfg, sess, ps, ecfg, seed)
	if err != nil {
		return err
	}
	var ck *ckpt // nil: no checkpoint, its methods do nothing
	if cfg.Checkpoint != "" || cfg.Resume != nil {
		if ck, err = beginCheckpoint(&cfg, infos, sc); err != nil {
			return err
		}
		defer ck.release()
	}
	if tcp.note != "" {
		cfg.Events.note("%s", tcp.note)
	}
	s := newStream(sink, &cfg.Events, cfg.Identify)
	s.au = cfg.Audit.audit()
	if cfg.Audit != nil {
		s.vulns = cfg.Audit.Vulns
	}
	info := Info{Start: time.Now(), Scans: infos, Hosts: cfg.Targets.Len(), Shards: cfg.Shard.N, Progress: func() (uint64, uint64, uint64) {
		done, total, open := sc.Progress()
		return done, total, open + ck.openBefore()
	}}
	if cfg.Identify != nil {
		info.Identifying = s.inIdentification
	}
	if err := sink.Begin(info); err != nil {
		return err
	}
	runErr := scanAll(ctx, &cfg, s, sc, ck)
	interrupted := ctx.Err() != nil
	sum := Summary{End: time.Now(), Hosts: cfg.Targets.Len(), Interrupted: interrupted, Pace: pacer.Stats()}
	sum.HostsDone, sum.Up, sum.Down = sc.hostsDone(), 0, 0
	if gs, ok := sc.(*groupScan); ok {
		sum.Up, sum.Down = gs.up.Load(), gs.down.Load()
	}
	endErr := sink.End(sum)
	writeErr := errors.Join(s.error(), endErr)
	ck.finish(!interrupted && runErr == nil && writeErr == nil)
	endNotes(&cfg, sess != nil, sum)
	switch {
	case interrupted:
		return ctx.Err()
	case runErr != nil:
		return runErr
	case writeErr != nil:
		return fmt.Errorf("writing results: %w", writeErr)
	}
	return nil
}

// startDiscovery opens host discovery when the scan wants it; nil, nil
// when every target counts as up (-Pn, or no discovery on this system:
// said once).
func startDiscovery(cfg *Config) (*discover.Session, error) {
	if !wantsDiscovery(cfg) {
		return nil, nil
	}
	sess, err := openDiscovery(cfg)
	if errors.Is(err, errors.ErrUnsupported) && cfg.Resume == nil {
		cfg.Events.note("note: no host discovery on %s yet: every target is scanned, as with -Pn", runtime.GOOS)
		return nil, nil
	}
	return sess, err
}

// endNotes says, at the end of a scan, what host discovery found (when
// it ran) and how the pace went.
func endNotes(cfg *Config, discovered bool, sum Summary) {
	if discovered {
		if n := sum.Up + sum.Down; n == sum.Hosts {
			cfg.Events.note("host discovery: %d of %d hosts up", sum.Up, sum.Hosts)
		} else {
			cfg.Events.note("host discovery: %d hosts up of the %d discovered (of %d)", sum.Up, n, sum.Hosts)
		}
	}
	paceNote(cfg, sum.Pace)
}

// scanAll replays what a resumed checkpoint holds, runs the port scan, and
// waits for identification to end.
func scanAll(ctx context.Context, cfg *Config, s *stream, sc portScan, ck *ckpt) error {
	gs, _ := sc.(*groupScan)
	if gs != nil {
		gs.hostOut = s.host
		gs.upOut = s.groupDone
	}
	var limits *udp.LimitWatch
	if !cfg.Ports.UDP.IsEmpty() && cfg.Events.Note != nil {
		limits = udp.NewLimitWatch(maxLimitHosts)
	}
	err := ck.replay(func(r *record.PortResult) { s.port(ctx, r, replayGroup) })
	if err == nil && gs != nil {
		err = ck.restoreGroups(gs, s.host, func(up []record.Host) { s.groupDone(replayGroup, up) })
	}
	if err == nil {
		ck.start()
		err = ck.run(ctx, sc, func(r *record.PortResult, pos, g uint64) {
			ck.record(pos, r)
			if limits != nil {
				limits.Observe(r)
			}
			s.port(ctx, r, g)
		})
	}
	s.wait()
	if limits != nil && err == nil && ctx.Err() == nil {
		// The results are written; now see whether silent UDP ports
		// may be closed ones whose answers the host rate limited.
		for _, h := range limits.Hints(ctx, 3*time.Second) {
			cfg.Events.note("note: %s", h)
		}
	}
	return err
}

// seed is the probe order's seed: the one given; for a shard, one drawn
// from what the scan is, so that the shards of one scan, run apart,
// agree; else a random one.
func (c *Config) seed() uint64 {
	if c.Seed != 0 {
		return c.Seed
	}
	if c.Shard.N > 1 {
		h := fnv.New64a()
		fmt.Fprintf(h, "ajar shard order\x00%s\x00%s\x00%v", c.Targets.String(), c.Ports.String(), c.TCP)
		if v := h.Sum64(); v != 0 {
			return v
		}
		return 1
	}
	var b [8]byte
	rand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:]) | 1
}

// engineConfig is the scan engine's config for cfg.
func engineConfig(cfg *Config, seed uint64) scan.Config {
	p := cfg.Pace
	ec := scan.Config{
		Order:          perm.New(cfg.Targets.Len()*uint64(cfg.Ports.Len()), seed),
		Rate:           p.Rate,
		MinRate:        p.MinRate,
		MaxRate:        p.MaxRate,
		MaxParallel:    p.MaxParallel,
		Retries:        p.Retries,
		MinTimeout:     p.MinTimeout,
		MaxTimeout:     p.MaxTimeout,
		InitialTimeout: p.InitialTimeout,
	}
	if cfg.Shard.N > 1 {
		ec.Shard, ec.Shards = cfg.Shard.I-1, cfg.Shard.N
	}
	return ec
}

// wantsDiscovery says whether the scan discovers its hosts: more than one
// target, a Discovery config, and no shard (shards must all see the same
// hosts). A resumed scan does what its checkpoint did.
func wantsDiscovery(cfg *Config) bool {
	switch {
	case cfg.Resume != nil:
		return cfg.Resume.meta.Discovered
	case cfg.Discovery == nil || cfg.Targets.Len() <= 1:
		return false
	case cfg.Shard.N > 1:
		cfg.Events.note("note: no host discovery with --shard (shards must scan the same hosts): every target is scanned, as with -Pn")
		return false
	}
	return true
}

// openDiscovery opens host discovery for a scan that wants it. Where this
// system has none, a new scan goes on without (the error wraps
// errors.ErrUnsupported); a resumed one cannot.
func openDiscovery(cfg *Config) (*discover.Session, error) {
	s, err := discover.Open(*cfg.Discovery)
	if err != nil {
		return nil, fmt.Errorf("host discovery: %w", err)
	}
	n, group := cfg.Targets.Len(), cfg.hostGroup()
	if cfg.Resume != nil {
		group = cfg.Resume.meta.HostGroup
	}
	if groups := (n + group - 1) / group; groups > 1 {
		cfg.Events.note("host discovery of %s, in %d groups of %d: %s", addresses(n), groups, group, s.Probes())
	} else {
		cfg.Events.note("host discovery of %s: %s", addresses(n), s.Probes())
	}
	return s, nil
}

// newPortScan makes the port scan: one engine over every target for a
// shard, else host groups (with discovery when sess is set).
func newPortScan(cfg *Config, sess *discover.Session, ps []scan.Plan, ecfg scan.Config, seed uint64) (portScan, error) {
	set := cfg.Targets
	np := uint64(cfg.Ports.Len())
	resumeGroup := uint64(0)
	if cfg.Resume != nil {
		resumeGroup = cfg.Resume.meta.HostGroup
	}
	if cfg.Shard.N > 1 || cfg.Resume != nil && resumeGroup == 0 {
		e, err := scan.NewPlans(set, ps, ecfg)
		if err != nil {
			return nil, configErrorf("%v", err)
		}
		return oneEngine{e: e, hosts: set.Len()}, nil
	}
	if np == 0 || set.Len() > ^uint64(0)/np {
		return nil, configErrorf("%d hosts × %d ports is too many probes", set.Len(), np)
	}
	size := cfg.hostGroup()
	if resumeGroup != 0 {
		size = resumeGroup
	}
	ecfg.Order, ecfg.Shard, ecfg.Shards = nil, 0, 0
	gs := &groupScan{all: set, size: size, np: np, plans: ps, cfg: ecfg, seed: seed, sess: sess,
		hostTimeout: cfg.HostTimeout, hostOut: func(*record.Host) {}, upOut: func(uint64, []record.Host) {}}
	if cfg.Events.Status != nil {
		gs.tell = cfg.Events.Status
	}
	return gs, nil
}

// paceNote tells when the path lost packets during the scan: how far the
// adaptive rate backed off, or that a fixed rate was too high for it.
func paceNote(cfg *Config, st scan.PaceStats) {
	if st.Losses == 0 {
		return
	}
	if !st.Adaptive {
		cfg.Events.note("note: %d probes were answered only when tried again: the path loses packets at --rate %g, and ports may show filtered that are not; a lower --rate, or none (an adaptive rate), finds them",
			st.Losses, cfg.Pace.Rate)
		return
	}
	cfg.Events.note("note: %d probes were answered only when tried again: the path lost packets, so the rate backed off %d times, to %.0f probes/s (the most was %.0f); tries sent while packets were lost were made again beyond --retries",
		st.Losses, st.Cuts, st.Rate, st.Peak)
}

// addresses is "1 address", "256 addresses".
func addresses(n uint64) string {
	if n == 1 {
		return "1 address"
	}
	return fmt.Sprintf("%d addresses", n)
}

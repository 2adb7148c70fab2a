package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/spf13/pflag"

	"github.com/ajarsec/ajar/discover"
	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/report"
	"github.com/ajarsec/ajar/scan"
	"github.com/ajarsec/ajar/target"
)

// discoverFlags are the host-discovery flags of ajar scan.
type discoverFlags struct {
	noPing, pingOnly bool
	noNeighbor       bool
	unprivileged     bool
	hostGroup        int
}

const discoverHelp = `Host discovery: when the targets hold more than one address, ajar finds
which hosts are up, and scans only their ports; down hosts are listed as
down (XML, JSON) and counted. It walks the targets in host groups of
--max-hostgroup addresses (4096), as nmap does: a group is discovered, then
the ports of its live hosts are scanned while the next group is discovered,
so the first ports come early and memory stays small whatever the size of
the targets (10.0.0.0/8 too); each group's down hosts are written as soon
as its discovery ends. With --checkpoint FILE, each group's live hosts are
kept in FILE.hosts: a resumed scan skips the groups done and goes on
inside the one it stopped in. With root or CAP_NET_RAW, hosts on a local Ethernet
link are asked with ARP (IPv4) or NDP (IPv6), which they answer even behind
a firewall that drops everything else; other hosts get ICMP echo and
timestamp requests (ICMPv6 echo), a TCP SYN to 443 and a TCP ACK to 80.
Without privileges ajar connects to ports 80 and 443 (a refusal is an
answer too) and pings with an ICMP datagram socket where
net.ipv4.ping_group_range allows. It says on stderr which probes it uses.
-Pn skips discovery and scans every target (one probe order over all of
them, as do --shard scans); -sn (--sn) does discovery only: a ping sweep
that lists the up hosts.`

func addDiscoverFlags(fl *pflag.FlagSet, d *discoverFlags) {
	fl.BoolVar(&d.noPing, "no-ping", false, "skip host discovery: scan every target as if up (nmap's -Pn)")
	fl.BoolVar(&d.pingOnly, "ping-only", false, "host discovery only: list the hosts that are up, scan no port (nmap's -sn)")
	// --sn and --Pn, as some write nmap's flags.
	fl.BoolVar(&d.pingOnly, "sn", false, "the same as --ping-only")
	fl.BoolVar(&d.noPing, "Pn", false, "the same as --no-ping")
	fl.MarkHidden("sn")
	fl.MarkHidden("Pn")
	fl.BoolVar(&d.noNeighbor, "disable-arp-ping", false, "discover hosts on local links with IP probes too, not ARP or NDP")
	fl.BoolVar(&d.unprivileged, "unprivileged-ping", false, "discover hosts with connect() and ping sockets only, even with raw-socket privileges")
	fl.IntVar(&d.hostGroup, "max-hostgroup", defaultHostGroup, "discover and scan the targets `N` addresses (a host group) at a time")
}

// discovery is how the scan finds its live hosts: not at all (-Pn, a
// shard, one target: one engine over every target), or in host groups
// (hostgroup.go).
type discovery struct {
	// done is set when the command has nothing left to do: a ping sweep.
	done  bool
	all   target.Set // every target
	group uint64     // hosts a group; 0: no discovery
	sess  *discover.Session
	gs    *groupScan
	tell  func(string) // notes of each group's progress, on a terminal
}

// discoverConfig turns the scan's flags into discovery's: the same pace,
// retries and first timeout as the port scan.
func discoverConfig(f *scanFlags) discover.Config {
	cfg := discover.Config{
		NoNeighbor:  f.disc.noNeighbor,
		Retries:     f.retries,
		Timeout:     f.initialTimeout,
		Rate:        discoverRate(f),
		MaxParallel: f.maxParallel,
	}
	if f.retries == 0 {
		cfg.Retries = -1
	}
	if f.disc.unprivileged {
		cfg.Mode = discover.Unprivileged
	}
	return cfg
}

func notef(env *Env, f *scanFlags, format string, a ...any) {
	if !f.quiet {
		fmt.Fprintf(env.Stderr, "ajar: "+format+"\n", a...)
	}
}

// discoverHosts decides how the scan finds its live hosts: in host
// groups when the targets hold more than one address, unless -Pn, or a
// shard (shards must all see the same hosts). A resumed scan does what
// its checkpoint did. With --sn it runs the ping sweep and is done.
func discoverHosts(ctx context.Context, env *Env, f *scanFlags, set target.Set, ck *checkpoint) (*discovery, error) {
	d := &discovery{all: set}
	resuming := ck != nil && ck.resumed != nil
	switch {
	case f.disc.pingOnly && f.disc.noPing:
		return nil, usageErrorf("give only one of -Pn (--no-ping) and -sn (--ping-only)")
	case f.disc.pingOnly:
		d.done = true
		return d, runPingSweep(ctx, env, f, set)
	case f.disc.hostGroup < 1 || f.disc.hostGroup > maxHostGroup:
		return nil, usageErrorf("--max-hostgroup takes 1 to %d hosts", maxHostGroup)
	case resuming && ck.meta.HostGroup == 0:
		return d, nil // a scan without discovery, or of the hosts found up before
	case resuming:
	case f.disc.noPing || set.Len() <= 1:
		return d, nil
	case f.shard != "":
		notef(env, f, "note: no host discovery with --shard (shards must scan the same hosts): every target is scanned, as with -Pn")
		return d, nil
	}
	s, err := discover.Open(discoverConfig(f))
	if errors.Is(err, errors.ErrUnsupported) && !resuming {
		notef(env, f, "note: no host discovery on %s yet: every target is scanned, as with -Pn", runtime.GOOS)
		return d, nil
	}
	if err != nil {
		return nil, failure(fmt.Errorf("host discovery: %w", err))
	}
	d.sess = s
	if !f.quiet && isTerminal(env.Stderr) {
		d.tell = func(msg string) { fmt.Fprint(env.Stderr, "\r\x1b[2Kajar: "+msg+"\n") }
	}
	d.group = uint64(f.disc.hostGroup)
	if resuming {
		d.group = ck.meta.HostGroup
	}
	groups := (set.Len() + d.group - 1) / d.group
	if groups > 1 {
		notef(env, f, "host discovery of %s, in %d groups of %d: %s", addresses(set.Len()), groups, d.group, s.Probes())
	} else {
		notef(env, f, "host discovery of %s: %s", addresses(set.Len()), s.Probes())
	}
	return d, nil
}

// close releases discovery's sockets.
func (d *discovery) close() {
	if d != nil && d.sess != nil {
		d.sess.Close()
	}
}

// portScan makes the port scan: one engine over every target, or host
// groups with cfg for each group's engine (its Order and shard unused).
func (d *discovery) portScan(set target.Set, plans []scan.Plan, cfg scan.Config, seed, np uint64) (portScan, error) {
	if d.group == 0 {
		e, err := scan.NewPlans(set, plans, cfg)
		if err != nil {
			return nil, err
		}
		return oneEngine{e}, nil
	}
	if np == 0 || set.Len() > ^uint64(0)/np {
		return nil, fmt.Errorf("%d hosts × %d ports is too many probes", set.Len(), np)
	}
	cfg.Order, cfg.Shard, cfg.Shards = nil, 0, 0
	d.gs = &groupScan{all: set, size: d.group, np: np, plans: plans, cfg: cfg, seed: seed, sess: d.sess,
		hostOut: func(*record.Host) error { return nil }, tell: d.tell}
	return d.gs, nil
}

// write hands the outputs what they take before the ports: with host
// groups, the host records of the groups a resumed checkpoint finished;
// then each group's records as its discovery ends.
func (d *discovery) write(w report.ResultWriter, ck *checkpoint) error {
	if d == nil || d.gs == nil {
		return nil
	}
	d.gs.hostOut = func(h *record.Host) error { return report.WriteHost(w, h) }
	return ck.restoreGroups(d.gs)
}

// hostsTotal is how many targets the scan had, discovery's down hosts
// included.
func (d *discovery) hostsTotal(scanned target.Set) int {
	if d != nil {
		scanned = d.all
	}
	return int(min(scanned.Len(), 1<<31))
}

// finish says how many hosts discovery found up.
func (d *discovery) finish(env *Env, f *scanFlags) {
	if d == nil || d.gs == nil {
		return
	}
	up, down := d.gs.up.Load(), d.gs.down.Load()
	if up+down == d.all.Len() {
		notef(env, f, "host discovery: %d of %d hosts up", up, d.all.Len())
		return
	}
	notef(env, f, "host discovery: %d hosts up of the %d discovered (of %d)", up, up+down, d.all.Len())
}

// addresses is "1 address", "256 addresses".
func addresses(n uint64) string {
	if n == 1 {
		return "1 address"
	}
	return fmt.Sprintf("%d addresses", n)
}

func sweepInfo(env *Env, start time.Time) report.RunInfo {
	return report.RunInfo{Args: append([]string{"ajar"}, os.Args[1:]...), Start: start, Version: env.Version}
}

// openHostOutputs opens the ping sweep's writers: stdout, then each
// --save file.
func openHostOutputs(env *Env, f *scanFlags) (report.HostWriter, func() error, error) {
	format, err := report.ParseScanFormat(f.output)
	if err != nil {
		return nil, nil, usageErrorf("%v", err)
	}
	stdout, err := report.NewHostWriter(format, env.Stdout, report.ResultOptions{})
	if err != nil {
		return nil, nil, usageErrorf("%v", err)
	}
	ws := []report.HostWriter{stdout}
	var files []*os.File
	closeAll := func() error {
		var errs []error
		for _, fh := range files {
			errs = append(errs, fh.Close())
		}
		return errors.Join(errs...)
	}
	for _, s := range f.saves {
		sf, path, err := report.ParseSave(s)
		if err != nil {
			closeAll()
			return nil, nil, usageErrorf("%v", err)
		}
		fh, err := os.Create(path)
		if err != nil {
			closeAll()
			return nil, nil, usageErrorf("cannot write %s: %v", path, err)
		}
		files = append(files, fh)
		w, err := report.NewHostWriter(sf, fh, report.ResultOptions{})
		if err != nil {
			closeAll()
			return nil, nil, usageErrorf("%v", err)
		}
		ws = append(ws, w)
	}
	return report.MultiHostWriter(ws...), closeAll, nil
}

// runPingSweep is ajar scan --sn: discovery of every target, each host
// written as soon as it is known, and no port scan.
func runPingSweep(ctx context.Context, env *Env, f *scanFlags, set target.Set) error {
	if f.shard != "" {
		return usageErrorf("--shard splits a port scan; a ping sweep (-sn) takes no shards")
	}
	s, err := discover.Open(discoverConfig(f))
	if err != nil {
		return failure(fmt.Errorf("host discovery: %w", err))
	}
	defer s.Close()
	hw, closeAll, err := openHostOutputs(env, f)
	if err != nil {
		return err
	}
	notef(env, f, "ping sweep of %s: %s", addresses(set.Len()), s.Probes())
	start := time.Now()
	var writeErr error
	if err := hw.Begin(sweepInfo(env, start)); err != nil {
		writeErr = err
	}
	runErr := s.Run(ctx, set, func(h record.Host) {
		if err := hw.WriteHost(&h); err != nil && writeErr == nil {
			writeErr = err
		}
	})
	interrupted := runErr != nil && ctx.Err() != nil
	endErr := hw.End(report.RunStats{End: time.Now(), HostsTotal: int(min(set.Len(), 1<<31)), Interrupted: interrupted})
	closeErr := closeAll()
	switch {
	case interrupted:
		return ctx.Err()
	case runErr != nil:
		return failure(runErr)
	}
	if err := errors.Join(writeErr, endErr, closeErr); err != nil {
		return failure(fmt.Errorf("writing results: %w", err))
	}
	return nil
}

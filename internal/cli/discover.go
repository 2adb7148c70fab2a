package cli

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"time"

	"github.com/spf13/pflag"

	"github.com/ajarsec/ajar/discover"
	"github.com/ajarsec/ajar/report"
	"github.com/ajarsec/ajar/target"
)

// discoverFlags are the host-discovery flags of ajar scan.
type discoverFlags struct {
	noPing, pingOnly bool
	noNeighbor       bool
	unprivileged     bool
}

const discoverHelp = `Host discovery: when the targets hold more than one address, ajar first
finds which hosts are up, and scans only their ports; down hosts are listed
as down (XML, JSON) and counted. With root or CAP_NET_RAW, hosts on a local
Ethernet link are asked with ARP (IPv4) or NDP (IPv6), which they answer even
behind a firewall that drops everything else; other hosts get ICMP echo and
timestamp requests (ICMPv6 echo), a TCP SYN to 443 and a TCP ACK to 80. Without
privileges ajar connects to ports 80 and 443 (a refusal is an answer too) and
pings with an ICMP datagram socket where net.ipv4.ping_group_range allows. It
says on stderr which probes it uses. -Pn skips discovery and scans every
target; -sn (--sn) does discovery only: a ping sweep that lists the up hosts.`

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
}

// maxDownWhy bounds how many down hosts keep a reason other than
// no-response (host-unreach from a router, say) for the outputs.
const maxDownWhy = 4096

// discovery is what host discovery found, kept for the scan's outputs:
// the up hosts, and the down ones as a set (never expanded).
type discovery struct {
	ran bool
	// done is set when the command has nothing left to do: a ping
	// sweep, or no host up.
	done    bool
	all     target.Set // every target
	live    target.Set // the targets found up, with their names
	down    target.Set
	up      []discover.Host
	downWhy map[netip.Addr]discover.Reason
}

// discoverConfig turns the scan's flags into discovery's: the same pace,
// retries and first timeout as the port scan.
func discoverConfig(f *scanFlags) discover.Config {
	cfg := discover.Config{
		NoNeighbor:  f.disc.noNeighbor,
		Retries:     f.retries,
		Timeout:     f.initialTimeout,
		Rate:        f.rate,
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

// maxDiscoverHosts is the largest target set discovered before a port
// scan.
const maxDiscoverHosts = 1 << 16

// discoverHosts runs host discovery before a port scan, when it should:
// more than one target, no -Pn, not a resumed scan (whose saved targets
// are the hosts found up before) and not a shard (shards must all see the
// same hosts). With --sn it runs the ping sweep and is done.
func discoverHosts(ctx context.Context, env *Env, f *scanFlags, set target.Set, resuming bool) (*discovery, error) {
	d := &discovery{all: set, live: set}
	switch {
	case f.disc.pingOnly && f.disc.noPing:
		return nil, usageErrorf("give only one of -Pn (--no-ping) and -sn (--ping-only)")
	case f.disc.pingOnly:
		d.done = true
		return d, runPingSweep(ctx, env, f, set)
	case f.disc.noPing || resuming || set.Len() <= 1:
		return d, nil
	case f.shard != "":
		notef(env, f, "note: no host discovery with --shard (shards must scan the same hosts): every target is scanned, as with -Pn")
		return d, nil
	case set.Len() > maxDiscoverHosts:
		// Discovery finishes before the port scan starts: for a network
		// this big the first port would wait minutes.
		notef(env, f, "note: no host discovery before scanning %s (more than %d): every target is scanned, as with -Pn; run -sn first to find the live hosts",
			addresses(set.Len()), maxDiscoverHosts)
		return d, nil
	}
	s, err := discover.Open(discoverConfig(f))
	if errors.Is(err, errors.ErrUnsupported) {
		notef(env, f, "note: no host discovery on %s yet: every target is scanned, as with -Pn", runtime.GOOS)
		return d, nil
	}
	if err != nil {
		return nil, failure(fmt.Errorf("host discovery: %w", err))
	}
	defer s.Close()
	notef(env, f, "host discovery of %s: %s", addresses(set.Len()), s.Probes())
	d.downWhy = make(map[netip.Addr]discover.Reason)
	err = s.Run(ctx, set, func(h discover.Host) {
		switch {
		case h.State == discover.Up:
			d.up = append(d.up, h)
		case h.Reason != discover.ReasonNoResponse && len(d.downWhy) < maxDownWhy:
			d.downWhy[h.Addr] = h.Reason
		}
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, failure(err)
	}
	d.ran = true
	slices.SortFunc(d.up, func(a, b discover.Host) int { return a.Addr.Compare(b.Addr) })
	rs := make([]target.Range, len(d.up))
	for i, h := range d.up {
		rs[i] = target.Range{From: h.Addr, To: h.Addr}
	}
	// set ∖ (set ∖ up) is set ∩ up with set's hostnames.
	d.down = set.Exclude(target.SetOf(rs...))
	d.live = set.Exclude(d.down)
	notef(env, f, "host discovery: %d of %d hosts up", d.live.Len(), set.Len())
	if d.live.Len() == 0 {
		d.done = true
		notef(env, f, "no host is up: no port to scan (-Pn scans them all the same)")
		return d, d.writeAlone(env, f)
	}
	return d, nil
}

// addresses is "1 address", "256 addresses".
func addresses(n uint64) string {
	if n == 1 {
		return "1 address"
	}
	return fmt.Sprintf("%d addresses", n)
}

// hosts calls fn with every target's record: the up hosts, then the down
// ones, in address order.
func (d *discovery) hosts(fn func(*discover.Host) error) error {
	for i := range d.up {
		if err := fn(&d.up[i]); err != nil {
			return err
		}
	}
	for i := range d.down.Len() {
		a := d.down.At(i)
		h := discover.Host{Addr: a, Name: d.all.Name(a), State: discover.Down, Reason: discover.ReasonNoResponse}
		if why, ok := d.downWhy[a]; ok {
			h.Reason = why
		}
		if err := fn(&h); err != nil {
			return err
		}
	}
	return nil
}

// write hands discovery's records to the scan's outputs, after Begin and
// before the ports.
func (d *discovery) write(w report.ResultWriter) error {
	if d == nil || !d.ran {
		return nil
	}
	return d.hosts(func(h *discover.Host) error { return report.WriteHost(w, h) })
}

// hostsTotal is how many targets the scan had, discovery's down hosts
// included.
func (d *discovery) hostsTotal(scanned target.Set) int {
	if d != nil {
		scanned = d.all
	}
	return int(min(scanned.Len(), 1<<31))
}

// writeAlone writes discovery's records as a ping sweep's output, when no
// port scan follows.
func (d *discovery) writeAlone(env *Env, f *scanFlags) error {
	hw, closeAll, err := openHostOutputs(env, f)
	if err != nil {
		return err
	}
	start := time.Now()
	err = hw.Begin(sweepInfo(env, start))
	if err == nil {
		err = d.hosts(hw.WriteHost)
	}
	err = errors.Join(err, hw.End(report.RunStats{End: time.Now(), HostsTotal: d.hostsTotal(d.all)}), closeAll())
	if err != nil {
		return failure(fmt.Errorf("writing results: %w", err))
	}
	return nil
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
	runErr := s.Run(ctx, set, func(h discover.Host) {
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

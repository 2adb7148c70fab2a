package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/report"
	"github.com/ajarsec/ajar/scan"
	"github.com/ajarsec/ajar/scan/journal"
	"github.com/ajarsec/ajar/target"
)

// checkpointMeta is what a checkpoint remembers of its scan, to run it
// again: the flags as given (and the seed, even a random one), the
// targets as resolved (so that DNS answers or a target file changed since
// cannot move a probe), and what the scan was, to check that the same
// flags still make the same scan.
type checkpointMeta struct {
	Command string                `json:"command"`
	Version string                `json:"version"`
	Started time.Time             `json:"started"`
	Flags   map[string][]string   `json:"flags"`
	Args    []string              `json:"args"`
	Targets string                `json:"targets"`
	Names   map[netip.Addr]string `json:"names,omitempty"`
	Hosts   uint64                `json:"hosts"`
	Scans   []string              `json:"scans"`
	// HostGroup is the hosts of a host group when the scan discovers
	// its hosts in groups (hostgroup.go), whose records are in the host
	// file next to the checkpoint; 0 when it scans every target.
	HostGroup uint64 `json:"host_group,omitempty"`
}

// resumeMayChange are the flags a resumed scan may give anew: how fast it
// goes and where its results go, never what it scans.
var resumeMayChange = map[string]bool{
	"output": true, "save": true, "quiet": true,
	"rate": true, "min-rate": true, "max-rate": true, "max-parallel": true, "retries": true,
	"min-timeout": true, "max-timeout": true, "initial-timeout": true,
	"service": true, "service-timeout": true, "probe-timeout": true,
	"banner-wait": true, "service-parallel": true,
}

// checkpointCommit is how often a running scan commits its checkpoint.
const checkpointCommit = time.Second

// checkpoint is the checkpoint file of a scan: made with --checkpoint,
// continued with --resume. Its methods do nothing on a nil checkpoint, the
// scan without one.
type checkpoint struct {
	path    string
	env     *Env
	quiet   bool
	resumed *journal.Journal // the file --resume read, until appended to
	meta    checkpointMeta   // the scan it holds, when resumed
	before  uint64           // open ports it held, when resumed
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

// resumeScan runs ajar scan --resume FILE: the scan FILE holds, from
// where it stopped, with its own flags and targets. Flags given now may
// only change pace and outputs, or repeat the saved values.
func resumeScan(cmd *cobra.Command, env *Env, f *scanFlags, args []string) error {
	if f.checkpoint != "" {
		return usageErrorf("give --resume or --checkpoint, not both: a resumed scan goes on checkpointing to the file it resumes")
	}
	j, err := journal.Open(f.resume)
	if err != nil {
		return usageErrorf("cannot resume: %v", err)
	}
	defer j.Close() // a no-op once the scan appends to it
	var meta checkpointMeta
	if err := json.Unmarshal(j.Meta, &meta); err != nil || meta.Command != "scan" || meta.Flags == nil {
		return usageErrorf("cannot resume: %s: not the checkpoint of an ajar scan", f.resume)
	}
	inner, g := scanCommand(env)
	inner.SetContext(cmd.Context())
	saved := inner.Flags()
	for _, name := range slices.Sorted(maps.Keys(meta.Flags)) {
		for _, v := range meta.Flags[name] {
			if err := saved.Set(name, v); err != nil {
				return usageErrorf("cannot resume: %s: flag --%s %q: %v (made by ajar %s)", f.resume, name, v, err, meta.Version)
			}
		}
	}
	var conflict error
	cmd.Flags().Visit(func(fl *pflag.Flag) {
		if conflict != nil || fl.Name == "resume" {
			return
		}
		was := saved.Lookup(fl.Name)
		switch {
		case resumeMayChange[fl.Name]:
			conflict = setFlag(was, fl)
		case was == nil || flagString(was) != flagString(fl):
			old := "not given"
			if was != nil && was.Changed {
				old = "--" + fl.Name + " " + flagString(was)
			}
			conflict = usageErrorf("--resume: --%s %s conflicts with the checkpoint's scan (%s): a resumed scan takes its targets, ports, seed and shard from %s",
				fl.Name, flagString(fl), old, f.resume)
		}
	})
	if conflict != nil {
		return conflict
	}
	if len(args) > 0 && !slices.Equal(args, meta.Args) {
		return usageErrorf("--resume: targets %q conflict with the checkpoint's %q: a resumed scan takes its targets from %s",
			strings.Join(args, " "), strings.Join(meta.Args, " "), f.resume)
	}
	g.checkpoint = ""
	ck := &checkpoint{path: f.resume, env: env, quiet: g.quiet, resumed: j, meta: meta, before: j.Open}
	return runScanWith(inner, env, g, meta.Args, ck)
}

// scanCommand is newScanCmd, also returning the flags it parses into.
func scanCommand(env *Env) (*cobra.Command, *scanFlags) {
	var f *scanFlags
	cmd := newScanCmdFlags(env, func(sf *scanFlags) { f = sf })
	return cmd, f
}

// flagString is a flag's value as given: a list flag's values joined.
func flagString(fl *pflag.Flag) string {
	if sv, ok := fl.Value.(pflag.SliceValue); ok {
		return strings.Join(sv.GetSlice(), ",")
	}
	return fl.Value.String()
}

// setFlag gives to a flag the value of the same flag given now.
func setFlag(dst, src *pflag.Flag) error {
	if dst == nil {
		return usageErrorf("--resume: --%s is not a flag of this scan", src.Name)
	}
	if sv, ok := src.Value.(pflag.SliceValue); ok {
		if dv, ok := dst.Value.(pflag.SliceValue); ok {
			dst.Changed = true
			return dv.Replace(sv.GetSlice())
		}
	}
	dst.Changed = true
	if err := dst.Value.Set(src.Value.String()); err != nil {
		return usageErrorf("--resume: --%s: %v", src.Name, err)
	}
	return nil
}

// savedFlags are the flags given to a scan, to give again on resume.
func savedFlags(fl *pflag.FlagSet, seed uint64) map[string][]string {
	m := map[string][]string{}
	fl.Visit(func(fl *pflag.Flag) {
		switch fl.Name {
		case "resume", "checkpoint":
			return
		}
		if sv, ok := fl.Value.(pflag.SliceValue); ok {
			m[fl.Name] = sv.GetSlice()
			return
		}
		m[fl.Name] = []string{fl.Value.String()}
	})
	m["seed"] = []string{strconv.FormatUint(seed, 10)}
	return m
}

// scanDescription says what a scan probes, to compare a resumed scan with
// the one its checkpoint holds: "syn tcp 1-1000".
func scanDescription(infos []report.ScanInfo) []string {
	out := make([]string, len(infos))
	for i, si := range infos {
		out[i] = fmt.Sprintf("%s %v %s", si.Type, si.Proto, si.Ports)
	}
	return out
}

// targets resolves the scan's targets, or, resuming, rebuilds the ones
// the checkpoint holds without resolving anything.
func (ck *checkpoint) targets(ctx context.Context, env *Env, f *scanFlags, args []string) (target.Set, error) {
	if ck == nil || ck.resumed == nil {
		return scanTargets(ctx, env, f, args)
	}
	specs, err := target.ParseList(ck.meta.Targets)
	if err == nil && len(specs) == 0 {
		err = errors.New("no targets")
	}
	var set target.Set
	if err == nil {
		for _, s := range specs {
			if s.Kind() == target.KindHost {
				err = fmt.Errorf("hostname %s among resolved targets", s)
			}
		}
	}
	if err == nil {
		set, err = target.Resolve(ctx, specs, target.ResolveOptions{})
	}
	if err == nil && set.Len() != ck.meta.Hosts {
		err = fmt.Errorf("%d targets, the checkpoint says %d", set.Len(), ck.meta.Hosts)
	}
	if err != nil {
		return target.Set{}, usageErrorf("cannot resume: %s: bad targets: %v", ck.path, err)
	}
	return set.WithNames(ck.meta.Names), nil
}

// begin makes the checkpoint a scan asked for with --checkpoint, or checks
// that the scan about to resume is the one its checkpoint holds and opens
// it for appending. It returns nil when there is no checkpoint.
func (ck *checkpoint) begin(cmd *cobra.Command, env *Env, f *scanFlags, args []string,
	set target.Set, seed uint64, infos []report.ScanInfo, sc portScan) (*checkpoint, error) {
	total := sc.Total()
	gs, _ := sc.(*groupScan)
	scans := scanDescription(infos)
	if ck != nil && ck.resumed != nil {
		j := ck.resumed
		switch {
		case !slices.Equal(scans, ck.meta.Scans):
			return nil, usageErrorf("cannot resume: %s holds a %s scan, and this would be a %s one",
				ck.path, strings.Join(ck.meta.Scans, ", "), strings.Join(scans, ", "))
		case j.Total != total || j.All != f.allPorts:
			return nil, usageErrorf("cannot resume: %s holds a scan of %d probes, this one would have %d", ck.path, j.Total, total)
		}
		if gs != nil {
			if err := ck.resumeGroups(gs); err != nil {
				return nil, err
			}
		}
		w, err := j.Append()
		if err != nil {
			ck.hosts.close()
			return nil, failure(fmt.Errorf("resuming %s: %w", ck.path, err))
		}
		ck.w, ck.sc = w, sc
		return ck, nil
	}
	if f.checkpoint == "" {
		return nil, nil
	}
	meta := checkpointMeta{
		Command: "scan", Version: env.Version, Started: time.Now().UTC().Truncate(time.Second),
		Flags: savedFlags(cmd.Flags(), seed), Args: args,
		Targets: set.String(), Names: set.Names(), Hosts: set.Len(), Scans: scans,
	}
	var hosts *hostFile
	if gs != nil {
		meta.HostGroup = gs.size
		var err error
		hosts, err = createHostFile(f.checkpoint)
		switch {
		case errors.Is(err, os.ErrExist):
			return nil, usageErrorf("--checkpoint: %s%s exists: resume its scan with --resume %s, or remove both", f.checkpoint, hostFileSuffix, f.checkpoint)
		case err != nil:
			return nil, usageErrorf("--checkpoint: %v", err)
		}
		gs.save = hosts.save
	}
	raw, err := json.Marshal(meta)
	if err != nil {
		return nil, failure(err)
	}
	w, err := journal.Create(f.checkpoint, journal.Header{Total: total, All: f.allPorts, Meta: raw})
	if err != nil {
		hosts.remove()
	}
	switch {
	case errors.Is(err, os.ErrExist):
		return nil, usageErrorf("--checkpoint %s exists: resume its scan with --resume %[1]s, or remove it", f.checkpoint)
	case err != nil:
		return nil, usageErrorf("--checkpoint: %v", err)
	}
	return &checkpoint{path: f.checkpoint, env: env, quiet: f.quiet, w: w, fresh: true, sc: sc, hosts: hosts}, nil
}

// release gives the file up when the scan never started: a checkpoint
// made for it is removed, a resumed one kept as it was.
func (ck *checkpoint) release() {
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
// without --all-ports) come as that many results of port 0, which no
// output lists: they only add up to the outputs' "not shown" counts.
func (ck *checkpoint) replay(handle func(*record.PortResult)) error {
	if ck == nil || ck.resumed == nil {
		return nil
	}
	names := ck.meta.Names
	return ck.resumed.Replay(func(r *record.PortResult) error {
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

// run runs the engine, tracked (from where the checkpoint's scan stopped)
// when there is a checkpoint to keep: without one, positions do not
// matter (emit gets 0), and nothing bounds how far past its slowest probe
// the scan goes.
func (ck *checkpoint) run(ctx context.Context, sc portScan, emit func(*record.PortResult, uint64)) error {
	if ck == nil {
		return sc.Run(ctx, scan.Resume{}, false, emit)
	}
	return sc.Run(ctx, ck.from(), true, emit)
}

// from is where the engine starts: where the checkpoint's scan stopped.
func (ck *checkpoint) from() scan.Resume {
	if ck == nil || ck.resumed == nil {
		return scan.Resume{}
	}
	return scan.Resume{Start: ck.resumed.Mark, Done: ck.resumed.Done}
}

// openBefore is how many open ports the resumed checkpoint held.
func (ck *checkpoint) openBefore() uint64 {
	if ck == nil {
		return 0
	}
	return ck.before
}

// record notes one result of the scan.
func (ck *checkpoint) record(pos uint64, r *record.PortResult) {
	if ck != nil && ck.w != nil {
		ck.w.Record(pos, r)
	}
}

// start commits the checkpoint every second while the scan runs.
func (ck *checkpoint) start() {
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

func (ck *checkpoint) warnf(format string, a ...any) {
	ck.warn.Do(func() { fmt.Fprintf(ck.env.Stderr, "ajar: warning: "+format+"\n", a...) })
}

// finish commits the checkpoint a last time when the scan ends. A complete
// scan (every probe done, every output written) removes it; any other keeps
// it to resume from, and says how.
func (ck *checkpoint) finish(complete bool) {
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
		} else if !ck.quiet {
			fmt.Fprintf(ck.env.Stderr, "ajar: scan complete: removed checkpoint %s\n", ck.path)
		}
		ck.w, ck.hosts = nil, nil
		return
	}
	closeErr := errors.Join(ck.w.Close(), ck.hosts.close())
	ck.w, ck.hosts = nil, nil
	if err = errors.Join(err, closeErr); err != nil {
		fmt.Fprintf(ck.env.Stderr, "ajar: warning: checkpoint %s: %v\n", ck.path, err)
	}
	if !ck.quiet {
		fmt.Fprintf(ck.env.Stderr, "ajar: stopped with %s: resume with 'ajar scan --resume %s'\n",
			stopped, shellQuote(ck.path))
	}
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
// ones before are written to the outputs later (restoreGroups). The file
// is then opened to append the groups to come.
func (ck *checkpoint) resumeGroups(gs *groupScan) error {
	span := gs.size * gs.np
	ck.gs, ck.first = gs, ck.resumed.Mark/span
	gs.saved = map[uint64]*groupRecord{}
	path := ck.path + hostFileSuffix
	end, err := readHostFile(path, gs, func(rec *groupRecord) error {
		if rec.g >= ck.first {
			gs.saved[rec.g] = rec
		}
		return nil
	})
	if err != nil {
		return usageErrorf("cannot resume: %v", err)
	}
	if _, ok := gs.saved[ck.first]; !ok && ck.first < gs.groups() && ck.resumed.Mark > ck.first*span {
		return usageErrorf("cannot resume: %s has no record of host group %d, which %s scanned part of", path, ck.first+1, ck.path)
	}
	fh, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err == nil {
		err = fh.Truncate(end)
		if err == nil {
			_, err = fh.Seek(end, io.SeekStart)
		}
		if err != nil {
			fh.Close()
		}
	}
	if err != nil {
		return failure(fmt.Errorf("resuming %s: %w", path, err))
	}
	ck.hosts = &hostFile{f: fh, path: path}
	gs.save = ck.hosts.save
	return nil
}

// restoreGroups writes to the outputs the host records of the groups a
// resumed scan finished before it stopped, reading them from the host
// file again (they are not kept).
func (ck *checkpoint) restoreGroups(gs *groupScan) error {
	if ck == nil || ck.gs == nil || ck.first == 0 {
		return nil
	}
	_, err := readHostFile(ck.hosts.path, gs, func(rec *groupRecord) error {
		if rec.g >= ck.first {
			return nil
		}
		gs.count(rec)
		return rec.hosts(gs.view(rec.g), gs.hostOut)
	})
	return err
}

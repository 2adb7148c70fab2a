package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/report"
	"github.com/ajarsec/ajar/run"
	"github.com/ajarsec/ajar/store"
	"github.com/ajarsec/ajar/target"
	"github.com/ajarsec/ajar/target/perm"
)

type scanFlags struct {
	ports, excludePorts    string
	topPorts               int
	fast                   bool
	inputFile              string
	exclude, excludeFile   string
	allAddresses           bool
	connect, syn, udp      bool
	rate, minRate, maxRate float64
	maxParallel, retries   int
	minTimeout, maxTimeout time.Duration
	initialTimeout         time.Duration
	seed                   uint64
	shard                  string
	output                 string
	saves                  []string
	allPorts, quiet        bool
	// nmap's habits
	timing, verbose         int
	open, reason, noResolve bool
	ipv4, ipv6              bool
	scanDelay, hostTimeout  time.Duration
	checkpoint, resume      string
	service                 bool
	svc                     serviceFlags
	audit, auditIntrusive   bool
	failOn                  string
	findingsCSV             bool
	disc                    discoverFlags
	vuln                    vulnFlags
	store                   storeFlags
}

func newScanCmd(env *Env) *cobra.Command { return newScanCmdFlags(env, nil) }

// newScanCmdFlags is newScanCmd, handing got the flags it parses into.
func newScanCmdFlags(env *Env, got func(*scanFlags)) *cobra.Command {
	var f scanFlags
	if got != nil {
		got(&f)
	}
	cmd := &cobra.Command{
		Use:   "scan [flags] TARGET...",
		Short: "Scan hosts for open, closed and filtered TCP and UDP ports",
		Long: `Scan hosts for open, closed and filtered TCP and UDP ports: -sS (raw SYNs,
the default as root), -sT (connect, no privileges), -sU (UDP), -sV (name the
service and version on each open port). Hosts are discovered first when
there are several (-Pn: no discovery, -sn: discovery only); the pace adapts
to the path. Ctrl-C stops the scan cleanly (exit 130); --checkpoint and
--resume go on after a stop or a crash. nmap's spellings work: -sSV, -T4,
-oA BASE, -oX -, --max-retries, --max-rtt-timeout, -6.

'ajar help scanning' explains techniques, pace, targets, ports, discovery,
checkpoints and the -T table at length.`,
		Example: `  ajar scan 127.0.0.1                      the 1000 most common ports
  ajar scan -p- 192.0.2.10                 every port
  ajar scan -p 22,80,443 10.0.0.0/24 --exclude 10.0.0.1
  ajar scan -F -iL hosts.txt -o jsonl      stream open ports as JSON lines
  ajar scan -sU -p 53,123,161 192.0.2.10   UDP
  ajar scan -sn 10.0.0.0/24                which hosts are up: a ping sweep, no ports
  ajar scan -Pn -p 22 10.0.0.0/24          no host discovery: scan every address
  ajar scan -sS -sU -p T:22,U:53 host      TCP (SYN) and UDP at once
  ajar scan -sT -p- host                   connect scan: no privileges needed
  ajar scan -sV 127.0.0.1                  which service and version on each open port
  ajar scan -p- host --save xml:scan.xml --save jsonl:scan.jsonl
  ndiff yesterday.xml scan.xml             compare with nmap's ndiff
  ajar scan -p- 10.0.0.0/16 --checkpoint big.ckpt --save xml:big.xml
  ajar scan --resume big.ckpt              after Ctrl-C or a crash: the rest`,
		RunE: func(cmd *cobra.Command, args []string) error { return runScan(cmd, env, &f, args) },
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.StringVarP(&f.ports, "ports", "p", "", "ports to scan: 22,80,1000-2000, - for all, or service names")
	fl.IntVar(&f.topPorts, "top-ports", 0, "scan the `N` most common ports")
	fl.BoolVarP(&f.fast, "fast", "F", false, "scan the 100 most common ports")
	fl.StringVar(&f.excludePorts, "exclude-ports", "", "ports never to scan")
	fl.StringVar(&f.inputFile, "input-file", "", "read targets from `FILE`, one per line (nmap's -iL)")
	fl.StringVar(&f.exclude, "exclude", "", "targets never to scan, comma separated")
	fl.StringVar(&f.excludeFile, "exclude-file", "", "read targets never to scan from `FILE`")
	fl.BoolVar(&f.allAddresses, "all-addresses", false, "scan every address a hostname resolves to, not just the first")
	fl.BoolVar(&f.syn, "syn", false, "TCP SYN scan (nmap's -sS; needs root or CAP_NET_RAW; the default with them)")
	fl.BoolVar(&f.connect, "connect", false, "TCP connect scan (nmap's -sT; the default without raw-socket privileges)")
	fl.BoolVar(&f.udp, "udp", false, "UDP scan (nmap's -sU); with -sS or -sT, both")
	fl.Float64Var(&f.rate, "rate", 0, "send `N` probes a second, evenly spaced, whatever is lost (default: an adaptive rate)")
	fl.Float64Var(&f.maxRate, "max-rate", 0, "never send more than `N` probes a second (bounds the adaptive rate)")
	fl.Float64Var(&f.minRate, "min-rate", 0, "never slow down below `N` probes a second, even when answers are lost")
	fl.IntVar(&f.maxParallel, "max-parallel", 0, "keep at most `N` probes in flight (0: as many as open files allow)")
	fl.IntVar(&f.retries, "retries", 1, "probe a silent port `N` more times")
	fl.DurationVar(&f.minTimeout, "min-timeout", 100*time.Millisecond, "shortest wait for an answer")
	fl.DurationVar(&f.maxTimeout, "max-timeout", 3*time.Second, "longest wait for an answer")
	fl.DurationVar(&f.initialTimeout, "initial-timeout", time.Second, "wait for an answer before any round-trip time is known")
	fl.Uint64Var(&f.seed, "seed", 0, "seed of the probe order: the same seed, the same order (default: random)")
	fl.StringVar(&f.shard, "shard", "", "scan only shard `I/N` of the probes (shards 1/N..N/N together are the whole scan)")
	fl.StringVar(&f.checkpoint, "checkpoint", "", "keep the scan's progress in `FILE` (a new file), to resume it after a stop or a crash")
	fl.StringVar(&f.resume, "resume", "", "resume the scan checkpointed in `FILE` where it stopped; needs no other flags")
	fl.StringVarP(&f.output, "output", "o", "table", "output `FORMAT` on stdout: "+report.FormatNames())
	fl.StringArrayVar(&f.saves, "save", nil, "also write `FORMAT:PATH`, e.g. xml:scan.xml (repeatable)")
	fl.BoolVar(&f.allPorts, "all-ports", false, "write closed and filtered ports too, not only open ones")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress or notes on stderr")
	addNmapHabits(fl, &f)
	completeScanFlags(cmd)
	addDiscoverFlags(fl, &f.disc)
	fl.BoolVar(&f.service, "service", false, "identify the service and version on each open port (nmap's -sV)")
	f.svc.register(fl)
	fl.BoolVar(&f.audit, "audit", false, "judge the risks behind each open port: no authentication, weak TLS and SSH, ... (implies -sV)")
	fl.BoolVar(&f.auditIntrusive, "audit-intrusive", false, "also run the audit's intrusive checks, which ask the target to act (implies --audit)")
	fl.StringVar(&f.failOn, "fail-on", "", "exit 1 when the audit finds a risk at or above `SEVERITY` (info, low, medium, high, critical)")
	fl.BoolVar(&f.findingsCSV, "findings", false, "with -o csv: a row per audit finding instead of a row per port")
	addVulnFlags(fl, &f.vuln)
	f.store.register(fl)
	return cmd
}

// scanPorts works out the ports to scan, per protocol, from the flags.
func scanPorts(cmd *cobra.Command, f *scanFlags) (portspec.Spec, error) {
	fl := cmd.Flags()
	chosen := 0
	for _, n := range []string{"ports", "top-ports", "fast"} {
		if fl.Changed(n) {
			chosen++
		}
	}
	if chosen > 1 {
		return portspec.Spec{}, usageErrorf("give only one of -p, --top-ports and -F")
	}
	// Ports without a T: or U: prefix go to every technique asked for.
	var protos []portspec.Proto
	if f.connect || f.syn || !f.udp {
		protos = append(protos, portspec.TCP)
	}
	if f.udp {
		protos = append(protos, portspec.UDP)
	}
	var spec portspec.Spec
	var err error
	switch {
	case fl.Changed("ports"):
		list, zero := portZero(f.ports)
		if zero && list == "" {
			return portspec.Spec{}, usageErrorf("bad ports: port 0 is not scanned: nothing can listen on it")
		}
		if zero && !f.quiet {
			fmt.Fprintln(cmd.ErrOrStderr(), "ajar: note: port 0 is not scanned: nothing can listen on it")
		}
		spec, err = portspec.ParseSpec(list, protos...)
	case fl.Changed("top-ports"):
		spec, err = portspec.TopSpec(f.topPorts, protos...)
	case f.fast:
		spec, err = portspec.TopSpec(portspec.TopFast, protos...)
	default:
		spec, err = portspec.TopSpec(portspec.TopDefault, protos...)
	}
	if err != nil {
		return portspec.Spec{}, usageErrorf("bad ports: %v", err)
	}
	if !spec.UDP.IsEmpty() && !f.udp {
		return portspec.Spec{}, usageErrorf("UDP ports (U:) need a UDP scan: add -sU")
	}
	if !spec.TCP.IsEmpty() && f.udp && !f.connect && !f.syn {
		return portspec.Spec{}, usageErrorf("TCP ports (T:) need a TCP scan: add -sT or -sS")
	}
	if f.excludePorts != "" {
		ex, err := portspec.ParseSpec(f.excludePorts, portspec.TCP, portspec.UDP)
		if err != nil {
			return portspec.Spec{}, usageErrorf("bad --exclude-ports: %v", err)
		}
		spec = spec.Exclude(ex)
	}
	if spec.IsEmpty() {
		return portspec.Spec{}, usageErrorf("no ports left to scan")
	}
	return spec, nil
}

// scanTargets parses, resolves and excludes the targets.
func scanTargets(ctx context.Context, env *Env, f *scanFlags, args []string) (target.Set, error) {
	specs, err := target.ParseList(strings.Join(args, " "))
	if err != nil {
		return target.Set{}, usageErrorf("%v", err)
	}
	if f.inputFile != "" {
		more, err := readTargetFile(f.inputFile)
		if err != nil {
			return target.Set{}, err
		}
		specs = append(specs, more...)
	}
	if len(specs) == 0 {
		return target.Set{}, usageErrorf("no targets: give addresses, networks or hostnames, or -iL FILE")
	}
	var exSpecs []target.Spec
	if f.exclude != "" {
		if exSpecs, err = target.ParseList(f.exclude); err != nil {
			return target.Set{}, usageErrorf("bad --exclude: %v", err)
		}
	}
	if f.excludeFile != "" {
		more, err := readTargetFile(f.excludeFile)
		if err != nil {
			return target.Set{}, err
		}
		exSpecs = append(exSpecs, more...)
	}
	opts := target.ResolveOptions{AllAddresses: f.allAddresses}
	switch {
	case f.ipv4 && f.ipv6:
		return target.Set{}, usageErrorf("give -4 or -6, not both")
	case f.ipv4:
		opts.Family = target.IPv4
	case f.ipv6:
		opts.Family = target.IPv6
	}
	set, err := target.Resolve(ctx, specs, opts)
	if err != nil {
		var le *target.LookupError
		if !errors.As(err, &le) || set.Len() == 0 {
			return target.Set{}, usageErrorf("%v", err)
		}
		warnf(env, f, "%v (scanning the other targets)", err)
	}
	if len(exSpecs) > 0 {
		ex, err := target.Resolve(ctx, exSpecs, target.ResolveOptions{AllAddresses: true})
		if err != nil {
			return target.Set{}, usageErrorf("resolving exclusions: %v", err)
		}
		set = set.Exclude(ex)
	}
	if set.Len() == 0 {
		return target.Set{}, usageErrorf("no targets left to scan after exclusions")
	}
	if err := set.CheckLen(); err != nil {
		return target.Set{}, usageErrorf("%v", err)
	}
	return set, nil
}

func readTargetFile(path string) ([]target.Spec, error) {
	var r io.Reader = os.Stdin
	if path != "-" {
		fh, err := os.Open(path)
		if err != nil {
			return nil, usageErrorf("cannot read targets: %v", err)
		}
		defer fh.Close()
		r = fh
	}
	specs, err := target.ReadFile(r, path)
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	return specs, nil
}

func warnf(env *Env, f *scanFlags, format string, a ...any) {
	if !f.quiet {
		fmt.Fprintf(env.Stderr, "ajar: warning: "+format+"\n", a...)
	}
}

func runScan(cmd *cobra.Command, env *Env, f *scanFlags, args []string) error {
	var cfg run.Config
	var err error
	if f.resume != "" {
		cfg, err = resumeConfig(cmd, env, f, args)
	} else {
		cfg, err = scanConfig(cmd, env, f, args)
	}
	if err != nil {
		return err
	}
	if cfg.Audit != nil {
		j, closeDB, err := vulnJudge(env, f)
		if err != nil {
			return err
		}
		defer closeDB()
		cfg.Audit.Vulns = j
	}
	out, err := openOutputs(env, f.output, cmd.Flags().Changed("output"), f.saves, report.Options{AllPorts: cfg.AllPorts, OpenOnly: f.open,
		Style: report.Style{Verbose: f.verbose > 0}, Findings: f.findingsCSV})
	if err != nil {
		if cfg.Resume != nil {
			cfg.Resume.Close()
		}
		return err
	}
	sink := &cliSink{env: env, out: out, quiet: f.quiet}
	err = run.Scan(cmd.Context(), cfg, recorded(cmd.Context(), env, &f.store, store.KindScan, args, sink))
	sink.stopBar()
	if err = scanError(cmd, err, out.close()); err != nil {
		return err
	}
	return failOn(f, sink.worst)
}

// scanError is the command's error for what run.Scan returned and the
// outputs' closing.
func scanError(cmd *cobra.Command, err, closeErr error) error {
	switch {
	case err == nil && closeErr != nil:
		return failure(fmt.Errorf("writing results: %w", closeErr))
	case err == nil, errors.Is(err, context.Canceled) && cmd.Context().Err() != nil:
		return err
	case errors.Is(err, run.ErrConfig):
		return usageErrorf("%s", strings.TrimPrefix(err.Error(), run.ErrConfig.Error()+": "))
	}
	return failure(err)
}

// scanConfig turns the flags and arguments of a new scan into a
// run.Config.
func scanConfig(cmd *cobra.Command, env *Env, f *scanFlags, args []string) (run.Config, error) {
	ctx := cmd.Context()
	if err := applyNmapHabits(cmd, f); err != nil {
		return run.Config{}, err
	}
	if f.checkpoint != "" && f.resume != "" {
		return run.Config{}, usageErrorf("give --resume or --checkpoint, not both: a resumed scan goes on checkpointing to the file it resumes")
	}
	if f.disc.pingOnly {
		for _, name := range []string{"ports", "top-ports", "fast", "service", "syn", "connect", "udp", "exclude-ports"} {
			if cmd.Flags().Changed(name) {
				return run.Config{}, usageErrorf("-sn (--ping-only) scans no port: --%s has nothing to do there", name)
			}
		}
	}
	spec, err := scanPorts(cmd, f)
	if err != nil && !f.disc.pingOnly {
		return run.Config{}, err
	}
	tcp, err := tcpTechnique(f)
	if err != nil {
		return run.Config{}, err
	}
	var shard perm.Shard
	if f.shard != "" {
		if shard, err = perm.ParseShard(f.shard); err != nil {
			return run.Config{}, usageErrorf("bad --shard: %v", err)
		}
	}
	pace, err := paceConfig(f)
	if err != nil {
		return run.Config{}, err
	}
	switch {
	case f.disc.pingOnly && f.disc.noPing:
		return run.Config{}, usageErrorf("give only one of -Pn (--no-ping) and -sn (--ping-only)")
	case f.disc.hostGroup < 1 || f.disc.hostGroup > run.MaxHostGroup:
		return run.Config{}, usageErrorf("--max-hostgroup takes 1 to %d hosts", run.MaxHostGroup)
	}
	cfg := run.Config{
		Ports: spec, TCP: tcp, Seed: f.seed, Shard: shard, PingOnly: f.disc.pingOnly,
		HostGroup: f.disc.hostGroup, Pace: pace, HostTimeout: f.hostTimeout, AllPorts: f.allPorts, Checkpoint: f.checkpoint,
		Events: scanEvents(env, f),
	}
	if !f.disc.noPing {
		d := discoverConfig(f)
		cfg.Discovery = &d
	}
	if f.service {
		id, err := f.svc.config()
		if err != nil {
			return run.Config{}, err
		}
		cfg.Identify = &id
	}
	if cfg.Audit, err = auditConfig(f); err != nil {
		return run.Config{}, err
	}
	if cfg.Targets, err = scanTargets(ctx, env, f, args); err != nil {
		return run.Config{}, err
	}
	if cfg.Caller, err = json.Marshal(keptOutputs{Output: f.output, Saves: f.saves}); err != nil {
		return run.Config{}, failure(err)
	}
	return cfg, nil
}

// keptOutputs are the outputs of a scan, kept in its checkpoint: a
// resumed scan writes to them unless given others.
type keptOutputs struct {
	Output string   `json:"output,omitempty"`
	Saves  []string `json:"saves,omitempty"`
}

// tcpTechnique is the TCP technique the flags ask for.
func tcpTechnique(f *scanFlags) (run.TCPTechnique, error) {
	switch {
	case f.syn && f.connect:
		return "", usageErrorf("give only one of -sS (SYN) and -sT (connect)")
	case f.syn:
		return run.SYN, nil
	case f.connect:
		return run.Connect, nil
	}
	return run.Auto, nil
}

// paceConfig checks the pace flags.
func paceConfig(f *scanFlags) (run.Pace, error) {
	for _, v := range []float64{f.rate, f.minRate, f.maxRate} {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return run.Pace{}, usageErrorf("--rate, --min-rate and --max-rate take numbers of 0 or more")
		}
		if v > 0 && v < 1.0/60 {
			return run.Pace{}, usageErrorf("a rate of %g probes a second is less than one a minute: give at least 0.017", v)
		}
	}
	if f.maxParallel < 0 || f.retries < 0 {
		return run.Pace{}, usageErrorf("--max-parallel and --retries take numbers of 0 or more")
	}
	if f.rate > 0 && (f.minRate > 0 || f.maxRate > 0) {
		return run.Pace{}, usageErrorf("give either --rate (a fixed rate) or --min-rate and --max-rate (bounds of the adaptive rate)")
	}
	if f.maxRate > 0 && f.minRate > f.maxRate {
		return run.Pace{}, usageErrorf("--min-rate %g is above --max-rate %g", f.minRate, f.maxRate)
	}
	if f.minTimeout <= 0 || f.maxTimeout < f.minTimeout || f.initialTimeout <= 0 {
		return run.Pace{}, usageErrorf("timeouts must be positive, with --min-timeout at most --max-timeout")
	}
	p := run.Pace{
		Rate: f.rate, MinRate: f.minRate, MaxRate: f.maxRate, MaxParallel: f.maxParallel, Retries: f.retries,
		MinTimeout: f.minTimeout, MaxTimeout: f.maxTimeout, InitialTimeout: f.initialTimeout,
	}
	if f.retries == 0 {
		p.Retries = -1
	}
	return p, nil
}

// scanEvents prints the scan's notes on stderr (not with -q), and its
// passing news above the progress bar on a terminal.
func scanEvents(env *Env, f *scanFlags) run.Events {
	if f.quiet {
		return run.Events{}
	}
	ev := run.Events{Note: func(msg string) { fmt.Fprintln(env.Stderr, "ajar: "+msg) }}
	if isTerminal(env.Stderr) {
		ev.Status = func(msg string) { fmt.Fprint(env.Stderr, "\r\x1b[2Kajar: "+msg+"\n") }
	}
	return ev
}

// techniques names the scan's techniques for a note: "TCP connect scan",
// "UDP scan", "TCP SYN and UDP scan".
func techniques(infos []run.ScanInfo) string {
	names := make([]string, len(infos))
	for i, si := range infos {
		switch si.Type {
		case "connect":
			names[i] = "TCP connect"
		case "syn":
			names[i] = "TCP SYN"
		default:
			names[i] = strings.ToUpper(si.Type)
		}
	}
	return strings.Join(names, " and ") + " scan"
}

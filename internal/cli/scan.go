package cli

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/report"
	"github.com/ajarsec/ajar/scan"
	"github.com/ajarsec/ajar/scan/udp"
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
	checkpoint, resume     string
	service                bool
	svc                    serviceFlags
	disc                   discoverFlags
}

// nmapFlags are nmap's multi-letter single-dash flags, which pflag cannot
// take, rewritten to ajar's long names before parsing.
var nmapFlags = map[string]string{
	"-sS": "--syn",
	"-sT": "--connect",
	"-sU": "--udp",
	"-sV": "--service",
	"-iL": "--input-file",
	"-p-": "--ports=-",
	"-Pn": "--no-ping",
	"-sn": "--ping-only",
}

func rewriteNmapFlags(args []string) []string {
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		if long, ok := nmapFlags[a]; ok {
			a = long
		}
		out = append(out, a)
	}
	return out
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
		Long: `Scan hosts for open, closed and filtered TCP ports. Every (host, port) pair
is probed once, in a pseudo-random order, with timeouts adapted to each host's
measured round-trip time; silent ports are retried, and are "filtered" when
they stay silent. A port that answers with a reset is "closed"; an ICMP error
gives a filtered port its reason (admin-prohibited, port-unreach,
host-unreach, net-unreach).

-sS (--syn) sends TCP SYNs of ajar's own on a raw socket and reads the
answers itself: a SYN-ACK is "open" (this machine's kernel resets it, so no
connection is ever made), a reset "closed". It needs root or CAP_NET_RAW,
and is the default when ajar has them. -sT (--connect) completes connections
with connect(): no privileges needed, and the default without them. When
neither is given, ajar says on stderr which one it picked (not with -q).

-sU scans UDP, also without privileges: each port gets a datagram the service
behind it answers (DNS, NTP, SNMP, SSDP, NetBIOS, mDNS, memcached, SIP, TFTP,
IKE, OpenVPN; empty for others). A reply means "open", ICMP port unreachable
"closed", other ICMP errors "filtered", and silence "open|filtered". Hosts
send few ICMP errors (Linux: about one a second), so silent ports of a UDP
scan are often closed ones whose answer was rate limited.

-sV (--service) names the service and version on each open port with
ajar's own protocol probes: banners, handshakes, and TLS on any port, with
the certificate, protocol version, cipher suite and JA3S of TLS services.
Each port gets at most --service-timeout; ports are identified as the scan
finds them, --service-parallel at a time. 'ajar identify HOST:PORT' does the
same without a port scan.

Pace: the rate adapts to the path. It starts at 50,000 probes a second,
doubles while the probes keep up and no answer is lost, and halves when
answers are lost on the way (a probe answered only when tried again); it
changes at most once a timeout, the time it takes to see what a change did.
Tries sent while packets were being lost do not count against --retries.
--max-rate and --min-rate bound the adaptive rate; --rate N fixes it, evenly
spaced, with bursts of a few milliseconds' worth at most. ajar says on stderr
when it had to back off.

Targets: addresses (192.0.2.1, 2001:db8::1), CIDR blocks (10.0.0.0/24),
ranges (10.0.0.1-20, 10.0.0.1-10.0.1.5) and hostnames, on the command line
or one per line in a file (-iL FILE, # starts a comment).

Ports: -p 22,80,1000-2000, -p- for all, -p ssh,https by service name,
-p T:22,80,U:53,161 to pick per protocol; --top-ports N or -F (the 100 most
common) from ajar's own tables. The default is the top 1000 of each protocol
scanned.

` + discoverHelp + `

Ctrl-C stops the scan: what was found is written, files stay valid, and ajar
exits with 130.

--checkpoint FILE keeps the scan's progress in FILE, a new file, committed
every second, so that it survives Ctrl-C, a crash or kill -9. 'ajar scan
--resume FILE' then goes on where the scan stopped, with nothing else on the
command line: FILE holds the flags, the seed, the shard and the targets as
resolved. Its outputs (stdout and --save files) first hold what the stopped
run found, then the rest: the whole scan, no port twice. Only flags of pace
and output (--rate, --max-parallel, --retries, timeouts, -o, --save, -q,
-sV) may be given anew; others must repeat the saved values. When the scan
is complete, FILE is removed.`,
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
	fl.StringVarP(&f.output, "output", "o", "table", "output `FORMAT` on stdout: table, json, jsonl, csv or xml")
	fl.StringArrayVar(&f.saves, "save", nil, "also write `FORMAT:PATH`, e.g. xml:scan.xml (repeatable)")
	fl.BoolVar(&f.allPorts, "all-ports", false, "write closed and filtered ports too, not only open ones")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress or notes on stderr")
	addDiscoverFlags(fl, &f.disc)
	fl.BoolVar(&f.service, "service", false, "identify the service and version on each open port (nmap's -sV)")
	f.svc.register(fl)
	return cmd
}

// maxLimitHosts is how many hosts of a UDP scan get their ICMP rate limit
// measured, when their silent ports may be closed ones.
const maxLimitHosts = 8

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
		spec, err = portspec.ParseSpec(f.ports, protos...)
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

// scanPlans pairs each protocol's ports with its prober, and describes
// them for the outputs.
func scanPlans(spec portspec.Spec, tcp tcpTechnique) ([]scan.Plan, []report.ScanInfo) {
	var plans []scan.Plan
	var infos []report.ScanInfo
	add := func(pr scan.Prober, typ string, ports portspec.Ranges) {
		if ports.IsEmpty() {
			return
		}
		plans = append(plans, scan.Plan{Prober: pr, Ports: slices.Collect(ports.All())})
		infos = append(infos, report.ScanInfo{Type: typ, Proto: pr.Proto(), Ports: ports.String(), NumPorts: ports.Len()})
	}
	if tcp.prober != nil {
		add(tcp.prober, tcp.typ, spec.TCP)
	}
	add(udp.Prober{}, "udp", spec.UDP)
	return plans, infos
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
	set, err := target.Resolve(ctx, specs, target.ResolveOptions{AllAddresses: f.allAddresses})
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

// outputs opens every writer the flags ask for: stdout, then each --save.
type outputs struct {
	w     report.ResultWriter
	files []*os.File
}

func openOutputs(env *Env, f *scanFlags) (*outputs, error) {
	format, err := report.ParseScanFormat(f.output)
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	opts := report.ResultOptions{AllPorts: f.allPorts, Style: report.Style{Color: colorWanted(env.Stdout)}}
	stdout, err := report.NewResultWriter(format, env.Stdout, opts)
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	o := &outputs{}
	ws := []report.ResultWriter{stdout}
	for _, s := range f.saves {
		sf, path, err := report.ParseSave(s)
		if err != nil {
			o.close()
			return nil, usageErrorf("%v", err)
		}
		fh, err := os.Create(path)
		if err != nil {
			o.close()
			return nil, usageErrorf("cannot write %s: %v", path, err)
		}
		o.files = append(o.files, fh)
		w, err := report.NewResultWriter(sf, fh, report.ResultOptions{AllPorts: f.allPorts})
		if err != nil {
			o.close()
			return nil, usageErrorf("%v", err)
		}
		ws = append(ws, w)
	}
	o.w = report.Synchronized(report.MultiWriter(ws...))
	return o, nil
}

func (o *outputs) close() error {
	var errs []error
	for _, fh := range o.files {
		if err := fh.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func runScan(cmd *cobra.Command, env *Env, f *scanFlags, args []string) error {
	if f.resume != "" {
		return resumeScan(cmd, env, f, args)
	}
	return runScanWith(cmd, env, f, args, nil)
}

// runScanWith runs a scan; ck, when set, is the checkpoint it resumes
// (resume.go).
func runScanWith(cmd *cobra.Command, env *Env, f *scanFlags, args []string, ck *checkpoint) error {
	ctx := cmd.Context()
	spec, err := scanPorts(cmd, f)
	if err != nil {
		return err
	}
	tcp, err := chooseTCP(f, !spec.TCP.IsEmpty())
	if err != nil {
		return err
	}
	defer tcp.close()
	plans, scanInfos := scanPlans(spec, tcp)
	var shard perm.Shard
	if f.shard != "" {
		if shard, err = perm.ParseShard(f.shard); err != nil {
			return usageErrorf("bad --shard: %v", err)
		}
	}
	if f.rate < 0 || f.minRate < 0 || f.maxRate < 0 || f.maxParallel < 0 || f.retries < 0 {
		return usageErrorf("--rate, --min-rate, --max-rate, --max-parallel and --retries take numbers of 0 or more")
	}
	if f.rate > 0 && (f.minRate > 0 || f.maxRate > 0) {
		return usageErrorf("give either --rate (a fixed rate) or --min-rate and --max-rate (bounds of the adaptive rate)")
	}
	if f.maxRate > 0 && f.minRate > f.maxRate {
		return usageErrorf("--min-rate %g is above --max-rate %g", f.minRate, f.maxRate)
	}
	if f.minTimeout <= 0 || f.maxTimeout < f.minTimeout || f.initialTimeout <= 0 {
		return usageErrorf("timeouts must be positive, with --min-timeout at most --max-timeout")
	}
	svcCfg, err := f.svc.config()
	if err != nil {
		return err
	}
	set, err := ck.targets(ctx, env, f, args)
	if err != nil {
		return err
	}
	found, err := discoverHosts(ctx, env, f, set, ck)
	if err != nil || found.done {
		return err
	}
	defer found.close()
	seed := f.seed
	if !cmd.Flags().Changed("seed") {
		var b [8]byte
		rand.Read(b[:])
		seed = binary.LittleEndian.Uint64(b[:])
	}
	space := set.Len() * uint64(spec.Len())
	cfg := scan.Config{
		Order:          perm.New(space, seed),
		Rate:           f.rate,
		MinRate:        f.minRate,
		MaxRate:        f.maxRate,
		MaxParallel:    f.maxParallel,
		Retries:        f.retries,
		MinTimeout:     f.minTimeout,
		MaxTimeout:     f.maxTimeout,
		InitialTimeout: f.initialTimeout,
	}
	if f.retries == 0 {
		cfg.Retries = -1
	}
	if shard.N > 1 {
		cfg.Shard, cfg.Shards = shard.I-1, shard.N
	}
	// One pacer for the whole scan: host groups go on at the pace the
	// group before them found.
	pacer := scan.NewPacer(cfg)
	defer pacer.Stop()
	cfg.Pacer = pacer
	engine, err := found.portScan(set, plans, cfg, seed, uint64(spec.Len()))
	if err != nil {
		return usageErrorf("%v", err)
	}
	if ck, err = ck.begin(cmd, env, f, args, set, seed, scanInfos, engine); err != nil {
		return err
	}
	defer ck.release()
	out, err := openOutputs(env, f)
	if err != nil {
		return err
	}
	if tcp.note != "" && !f.quiet {
		fmt.Fprintln(env.Stderr, "ajar: "+tcp.note)
	}

	info := report.RunInfo{
		Args: append([]string{"ajar"}, os.Args[1:]...), Start: time.Now(),
		Scans: scanInfos, Shards: int(shard.N), Version: env.Version,
	}
	if err := out.w.Begin(info); err != nil {
		out.close()
		return failure(err)
	}
	if err := found.write(out.w, ck); err != nil {
		out.close()
		return failure(err)
	}
	var bar *progressBar
	if !f.quiet && isTerminal(env.Stderr) {
		fmt.Fprintf(env.Stderr, "ajar: %s of %d host(s) × %d port(s)\n", techniques(scanInfos), set.Len(), spec.Len())
		bar = startProgress(env.Stderr, func() (uint64, uint64, uint64) {
			done, total, open := engine.Progress()
			return done, total, open + ck.openBefore()
		})
	}
	var writeErr error
	var limits *udp.LimitWatch
	if !spec.UDP.IsEmpty() && !f.quiet {
		limits = udp.NewLimitWatch(maxLimitHosts)
	}
	write := func(r *record.PortResult) {
		if err := out.w.Write(r); err != nil && writeErr == nil {
			writeErr = err
		}
	}
	var ident *identifier
	if f.service {
		ident = newIdentifier(svcCfg, f.svc.parallel, write)
	}
	handle := func(r *record.PortResult) {
		if r.State == record.Open || r.State == record.OpenFiltered {
			if name := portspec.ServiceName(r.Port, r.Proto); name != "" {
				r.Service = &record.Service{Name: name, Method: "port-table", Confidence: 3}
			}
		}
		if ident != nil {
			ident.submit(ctx, r)
			return
		}
		write(r)
	}
	runErr := ck.replay(handle)
	if runErr == nil {
		ck.start()
		runErr = ck.run(ctx, engine, func(r *record.PortResult, pos uint64) {
			ck.record(pos, r)
			if limits != nil {
				limits.Observe(r)
			}
			handle(r)
		})
	}
	if ident != nil {
		ident.wait()
	}
	bar.Stop()
	// Stopped while scanning, or while identifying what the scan found.
	interrupted := ctx.Err() != nil

	endErr := out.w.End(report.RunStats{End: time.Now(), HostsTotal: found.hostsTotal(set), Interrupted: interrupted})
	closeErr := out.close()
	ck.finish(!interrupted && runErr == nil && errors.Join(writeErr, endErr, closeErr) == nil)
	found.finish(env, f)
	paceNote(env, f, pacer.Stats())
	if limits != nil && runErr == nil {
		// The results are written; now see whether silent UDP ports
		// may be closed ones whose answers the host rate limited.
		for _, h := range limits.Hints(ctx, 3*time.Second) {
			fmt.Fprintln(env.Stderr, "ajar: note: "+h)
		}
	}
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

// techniques names the scan's techniques for a note: "TCP connect scan",
// "UDP scan", "TCP SYN and UDP scan".
func techniques(infos []report.ScanInfo) string {
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

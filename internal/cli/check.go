package cli

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/ajarsec/ajar/discover"
	"github.com/ajarsec/ajar/policy"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/report"
	"github.com/ajarsec/ajar/run"
	"github.com/ajarsec/ajar/sockets"
	"github.com/ajarsec/ajar/store"
	"github.com/ajarsec/ajar/target"
)

func init() { registerCommand(newCheckCmd) }

type checkFlags struct {
	policy  string
	local   bool
	netns   string
	ports   string
	connect bool
	output  string
	save    string
	quiet   bool
	store   storeFlags
}

func newCheckCmd(env *Env) *cobra.Command {
	var f checkFlags
	cmd := &cobra.Command{
		Use:   "check --policy FILE [TARGET...] | --local",
		Short: "Compare what is open with a policy: exit 1 on drift, for CI",
		Long: `Compare reality with a policy (see 'ajar policy --help') and list every
difference as a violation:

  unexpected-open   open, and no allow entry names it
  required-missing  required: true, and not open (or not in every address
                    family: a :: socket that is IPv6-only misses IPv4)
  wrong-exposure    reachable from further than exposure: says
  wrong-process     owned by another process or user than it says
  wrong-service     identification names another service or product
  finding           an audit finding at or above findings:

Each names the policy line that decided it and a concrete fix (the systemd
unit to stop, found from the process's cgroup; the directive that binds the
daemon to loopback; or the firewall).

With TARGET... (or none: the hosts the policy names) ajar scans, from here,
the policy's ports plus the 1000 usual ones (or -p), identifying services
when the policy names some and auditing when it sets findings:. With
--local it reads this machine's sockets instead (in --netns), judged by the
host entries matching one of its addresses or its hostname, and the ports
its DNAT rules publish (Docker's -p): those are reachable even when
nothing listens on the host, and bypass INPUT and ufw.

Exit status: 0 compliant, 1 violations (or a failure), 2 bad input.`,
		Example: `  ajar check --policy policy.yaml --local          this machine's listeners
  ajar check --policy policy.yaml                  scan the hosts the policy names
  ajar check --policy policy.yaml 10.0.0.5 -p-     every port of one host
  ajar check --policy policy.yaml --local -o junit > ajar-junit.xml
  ajar check --policy policy.yaml -o sarif --save junit:ajar.xml`,
		RunE: func(cmd *cobra.Command, args []string) error { return runCheck(cmd, env, &f, args) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.policy, "policy", "", "the policy `FILE` (required)")
	fl.BoolVar(&f.local, "local", false, "check this machine's sockets and DNAT rules, not a scan")
	fl.StringVar(&f.netns, "netns", "", "with --local: the sockets of network namespace `NAME`")
	fl.StringVarP(&f.ports, "ports", "p", "", "scan these ports instead of the policy's and the top 1000 (22,80, - for all)")
	fl.BoolVar(&f.connect, "connect", false, "TCP connect scan even with raw-socket privileges (nmap's -sT)")
	fl.StringVarP(&f.output, "output", "o", "table", "output `FORMAT`: table, json, jsonl, junit or sarif")
	fl.StringVar(&f.save, "save", "", "also write `FORMAT:PATH`, e.g. junit:ajar.xml")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no notes on stderr")
	f.store.register(fl)
	completeNetns(cmd)
	cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"table", "json", "jsonl", "junit", "sarif"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func checkUsage(format string, a ...any) error {
	return usageErrorf("%s (see 'ajar check --help')", fmt.Sprintf(format, a...))
}

// loadPolicy reads a policy for a command; a bad one is bad input.
func loadPolicy(path string) (*policy.Policy, error) {
	if path == "" {
		return nil, usageErrorf("give the policy: --policy FILE (ajar policy init writes one)")
	}
	p, err := policy.Load(path)
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	return p, nil
}

func runCheck(cmd *cobra.Command, env *Env, f *checkFlags, args []string) error {
	format, err := report.ParseCheckFormat(f.output)
	if err != nil {
		return checkUsage("%v", err)
	}
	var saveFormat report.Format
	var savePath string
	if f.save != "" {
		name, path, ok := strings.Cut(f.save, ":")
		if saveFormat, err = report.ParseCheckFormat(name); err != nil || !ok || path == "" {
			return checkUsage("bad --save %q: want FORMAT:PATH, such as junit:ajar.xml", f.save)
		}
		savePath = path
	}
	switch {
	case f.local && len(args) > 0:
		return checkUsage("give --local or targets, not both")
	case f.netns != "" && !f.local:
		return checkUsage("--netns reads a namespace's sockets: add --local")
	case f.local && f.ports != "":
		return checkUsage("-p chooses the ports to scan: --local scans nothing")
	}
	p, err := loadPolicy(f.policy)
	if err != nil {
		return err
	}
	start := time.Now()
	var obs policy.Observed
	var subjects []string
	if f.local {
		subjects, err = observeLocal(cmd.Context(), env, f, &obs)
	} else {
		subjects, err = observeScan(cmd.Context(), env, f, p, args, &obs)
	}
	if err != nil {
		return err
	}
	res := policy.Evaluate(p, &obs)
	if res.LocalUnmatched {
		return checkUsage("no host entry of %s matches this machine (addresses %s; hostname %s)",
			p.File, addrList(obs.Local.Addrs), strings.Join(obs.Local.Names, ", "))
	}
	for _, a := range res.Unmatched {
		note(env, f.quiet, "%s matches no host entry of the policy: not judged", a)
	}
	ci := report.CheckInfo{Policy: p.File, Subjects: subjects, Args: append([]string{"ajar"}, os.Args[1:]...),
		Start: start, End: time.Now(), Version: env.Version}
	if savePath != "" {
		if err := writeViolationsFile(savePath, saveFormat, res.Violations, ci); err != nil {
			return err
		}
	}
	style := report.Style{Color: colorWanted(env.Stdout)}
	if err := report.WriteViolations(env.Stdout, format, res.Violations, ci, style); err != nil {
		return failure(err)
	}
	if n := len(res.Violations); n > 0 {
		return &exitError{code: ExitFailure, err: fmt.Errorf("%d policy violation(s)", n)}
	}
	return nil
}

func writeViolationsFile(path string, f report.Format, vs []record.Violation, ci report.CheckInfo) error {
	fh, err := os.Create(path)
	if err != nil {
		return usageErrorf("cannot write %s: %v", path, err)
	}
	err = report.WriteViolations(fh, f, vs, ci, report.Style{})
	return failure(errors.Join(err, fh.Close()))
}

func note(env *Env, quiet bool, format string, a ...any) {
	if !quiet {
		fmt.Fprintf(env.Stderr, "ajar: "+format+"\n", a...)
	}
}

func addrList(as []netip.Addr) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

// observeLocal reads this machine's sockets, addresses and DNAT rules.
func observeLocal(ctx context.Context, env *Env, f *checkFlags, obs *policy.Observed) ([]string, error) {
	snap, err := sockets.List(ctx, sockets.Options{Netns: f.netns})
	if err != nil {
		if errors.Is(err, sockets.ErrNoNetns) {
			return nil, checkUsage("%v", err)
		}
		return nil, failure(err)
	}
	if snap.Hidden > 0 {
		note(env, f.quiet, "%d processes of other users are not visible: their sockets show no owner (run as root)", snap.Hidden)
	}
	m, err := policy.ReadMachine(ctx, f.netns)
	if err != nil {
		return nil, failure(err)
	}
	for _, n := range m.Notes {
		note(env, f.quiet, "%s", n)
	}
	var pids []int
	for _, s := range snap.Sockets {
		pids = append(pids, s.PID)
	}
	obs.Sockets, obs.Local, obs.NAT, obs.Units = snap.Sockets, m.Subject, m.NAT, policy.Units("/proc", pids)
	name := "this machine"
	if f.netns != "" {
		name = "network namespace " + f.netns
	}
	return []string{name}, nil
}

// observeScan scans the targets (or the policy's hosts) for the check.
func observeScan(ctx context.Context, env *Env, f *checkFlags, p *policy.Policy, args []string, obs *policy.Observed) ([]string, error) {
	if len(args) == 0 {
		args = p.Targets()
		if len(args) == 0 {
			return nil, checkUsage("the policy names no address, network or hostname to scan (only * or groups of them): give targets")
		}
	}
	spec := p.Spec()
	if f.ports != "" {
		s, err := portspec.ParseSpec(f.ports, portspec.TCP)
		if err != nil {
			return nil, checkUsage("bad ports: %v", err)
		}
		spec = s
	} else {
		top, _ := portspec.TopSpec(portspec.TopDefault, portspec.TCP)
		spec = spec.Union(top)
	}
	cfg, err := checkScanConfig(ctx, p, args, spec, f.connect)
	if err != nil {
		return nil, err
	}
	if !f.quiet {
		cfg.Events = run.Events{Note: func(msg string) { fmt.Fprintln(env.Stderr, "ajar: "+msg) }}
	}
	col := &collectSink{}
	if err := run.Scan(ctx, cfg, recorded(ctx, env, &f.store, store.KindCheck, args, col)); err != nil {
		if errors.Is(err, run.ErrConfig) {
			return nil, checkUsage("%v", err)
		}
		return nil, failure(err)
	}
	if col.interrupted {
		return nil, context.Canceled
	}
	obs.Ports, obs.Hosts, obs.Scanned = col.ports, col.hosts, spec
	var subjects []string
	seen := map[netip.Addr]bool{}
	for _, h := range col.hosts {
		if h.State == record.Up && !seen[h.Addr] {
			seen[h.Addr] = true
			subjects = append(subjects, h.Addr.String())
		}
	}
	return subjects, nil
}

// checkScanConfig is the scan of a check: the policy's ports, UDP too
// when it names some, identification when it names services, the audit
// when it sets a findings threshold.
func checkScanConfig(ctx context.Context, p *policy.Policy, args []string, spec portspec.Spec, connect bool) (run.Config, error) {
	specs, err := target.ParseList(strings.Join(args, " "))
	if err != nil {
		return run.Config{}, checkUsage("%v", err)
	}
	set, err := target.Resolve(ctx, specs, target.ResolveOptions{})
	if err != nil {
		return run.Config{}, checkUsage("%v", err)
	}
	cfg := run.Config{Targets: set, Ports: spec, Discovery: &discover.Config{}}
	if connect {
		cfg.TCP = run.Connect
	}
	wantID, wantAudit := p.Needs()
	if wantID || wantAudit {
		cfg.Identify = &run.Identify{}
	}
	if wantAudit {
		cfg.Audit = &run.AuditConfig{}
	}
	return cfg, nil
}

// collectSink keeps a scan's port and host records.
type collectSink struct {
	mu          sync.Mutex
	ports       []record.PortResult
	hosts       []record.Host
	interrupted bool
}

func (c *collectSink) Begin(run.Info) error { return nil }

func (c *collectSink) Write(r record.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch r := r.(type) {
	case *record.PortResult:
		c.ports = append(c.ports, *r)
	case *record.Host:
		c.hosts = append(c.hosts, *r)
	}
	return nil
}

func (c *collectSink) End(s run.Summary) error {
	c.interrupted = s.Interrupted
	return nil
}

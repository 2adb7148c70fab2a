package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/report"
	"github.com/ajarsec/ajar/run"
	"github.com/ajarsec/ajar/sockets"
	"github.com/ajarsec/ajar/store"
)

func init() { registerCommand(newAuditCmd) }

type auditFlags struct {
	netns     string
	output    string
	saves     []string
	ports     string
	tcpOnly   bool
	intrusive bool
	failOn    string
	verbose   bool
	quiet     bool
	store     storeFlags
}

// envAuditNetns marks the ajar that `ajar audit --netns` started inside
// the namespace: it audits where it is.
const envAuditNetns = "AJAR_AUDIT_NETNS"

func newAuditCmd(env *Env) *cobra.Command {
	var f auditFlags
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Judge this machine's listening services: what to fix first, and how",
		Long: `Judge the services listening on this machine: each listening socket
(ajar sockets) is identified and checked over loopback, or over its own
address, as 'ajar scan --audit' checks a remote port (no authentication,
weak TLS and SSH, exposed admin pages, ...). Each finding's severity is then
weighed by who can reach the socket:

  all, address     as found: the network can reach it
  interface, link  one step down: one network only
  loopback         critical becomes medium, high and medium low, low info;
                   cleartext on loopback is info (no wire to sniff)

and the finding says why (severity_reason in JSON). The table lists the
findings worst first, with the process, its exposure and the fix; -v adds
the info findings and the reasons. Only safe checks run unless
--audit-intrusive is given. Root sees every process's sockets.`,
		Example: `  ajar audit                         what to fix first on this machine
  ajar audit -v                      with the reasons and the info findings
  ajar audit --fail-on high          exit 1 when a finding is high or worse
  ajar audit -o json > audit.json    every finding, with exposure and reason
  ajar audit -o sarif > audit.sarif  for a code-scanning dashboard
  ajar audit --netns blue            the services of network namespace "blue"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runAudit(cmd, env, &f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.netns, "netns", "", "audit the services of network namespace `NAME` (from 'ip netns', or a path)")
	fl.StringVarP(&f.output, "output", "o", "table", "output `FORMAT`: "+report.FormatNames())
	fl.StringArrayVar(&f.saves, "save", nil, "also write `FORMAT:PATH`, e.g. sarif:audit.sarif (repeatable)")
	fl.StringVar(&f.ports, "port", "", "only listeners on these local ports, e.g. 22,80,8000-8100")
	fl.BoolVar(&f.tcpOnly, "tcp", false, "TCP listeners only (no UDP)")
	fl.BoolVar(&f.intrusive, "audit-intrusive", false, "also run the intrusive checks, which ask the service to act")
	fl.StringVar(&f.failOn, "fail-on", "", "exit 1 when a finding is at or above `SEVERITY` (info, low, medium, high, critical)")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "add info findings and why each severity is what it is")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no notes on stderr")
	f.store.register(fl)
	completeNetns(cmd)
	return cmd
}

func runAudit(cmd *cobra.Command, env *Env, f *auditFlags) error {
	var minSev record.Severity
	if f.failOn != "" {
		s, err := record.ParseSeverity(f.failOn)
		if err != nil {
			return auditUsage("bad --fail-on: %v", err)
		}
		minSev = s
	}
	var ports func(uint16) bool
	if f.ports != "" {
		pr, err := portspec.ParseRanges(f.ports)
		if err != nil {
			return auditUsage("bad --port: %v", err)
		}
		ports = pr.Contains
	}
	if cmd.Flags().Changed("netns") && f.netns == "" {
		return auditUsage("bad --netns: give a namespace name")
	}
	if f.netns != "" && os.Getenv(envAuditNetns) != f.netns {
		return inNetns(cmd.Context(), env, f.netns)
	}
	ctx := cmd.Context()
	snap, err := sockets.List(ctx, sockets.Options{NoUDP: f.tcpOnly})
	if err != nil {
		return failure(err)
	}
	if snap.Hidden > 0 && !f.quiet {
		fmt.Fprintf(env.Stderr, "ajar: %d processes of other users are hidden: their sockets show no process (run as root to see them)\n", snap.Hidden)
	}
	ls := audit.Listeners(snap.Sockets)
	if ports != nil {
		kept := ls[:0]
		for _, l := range ls {
			if ports(l.Addr.Port()) {
				kept = append(kept, l)
			}
		}
		ls = kept
	}
	sink, err := newAuditSink(env, f, ls)
	if err != nil {
		return err
	}
	eps := make([]run.Endpoint, len(ls))
	for i, l := range ls {
		eps[i] = run.Endpoint{Addr: l.Addr, Proto: l.Proto}
	}
	ev := run.Events{}
	if !f.quiet {
		ev.Note = func(msg string) { fmt.Fprintln(env.Stderr, "ajar: "+msg) }
	}
	err = run.AuditPorts(ctx, eps, run.Identify{}, run.AuditConfig{Intrusive: f.intrusive}, ev,
		recorded(ctx, env, &f.store, store.KindAudit, nil, sink))
	if cerr := sink.close(); err == nil || errors.Is(err, run.ErrNoneIdentified) {
		err = cerr
	}
	if err != nil {
		return failure(err)
	}
	if f.failOn != "" && sink.worst >= minSev {
		return failure(fmt.Errorf("a finding of severity %s on this machine (--fail-on %s)", sink.worst, minSev))
	}
	return nil
}

// auditUsage reports bad input to ajar audit, pointing at its help.
func auditUsage(format string, a ...any) error {
	return usageErrorf("%s (see 'ajar audit --help')", fmt.Sprintf(format, a...))
}

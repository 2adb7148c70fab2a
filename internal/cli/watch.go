package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/sockets"
	"github.com/ajarsec/ajar/watch"
)

func init() { registerCommand(newWatchCmd) }

type watchFlags struct {
	local              bool
	netns              string
	allNetns           bool
	interval           time.Duration
	output             string
	tcp, udp, ip4, ip6 bool
	ports, process     string
	exposed            bool
	webhook            string
	secretFile         string
	exec               string
	syslog             bool
	metrics            string
}

func newWatchCmd(env *Env) *cobra.Command {
	var f watchFlags
	cmd := &cobra.Command{
		Use:   "watch --local | watch TARGET... --every D [scan flags]",
		Short: "Report listeners opening and closing here, or what changed between periodic scans",
		Long: `Watch this machine's listening sockets (--local), or rescan targets every D
(--every) and report what changed since the scan before.

--local: each listening socket that opens or closes, with its process, user
and exposure, within about a second. The kernel's list of listening sockets
(sock_diag, as ss reads it) is read every --interval and compared with the
one before; as root, the kernel also wakes ajar at once when a socket closes.
A restarted daemon shows as a close and an open (its new socket has a new
inode); a daemon whose workers change pids shows nothing.

TARGET... --every D: a scan (every flag of 'ajar scan' works: -p, -sV,
--audit, ...) every D, each kept in the history; after the first, the
changes since the scan before, as 'ajar diff' gives them: hosts up or down,
ports opened, closed or changed, services and findings new or gone.
--rounds N stops after N scans.

Events go to standard output (one line each, or JSON Lines with -o jsonl:
for --local, time, event, proto, address, port, pid, process, user,
exposure; for rescans, a change of 'ajar diff -o json' with time and round),
and to each alert sink given: a webhook (POST of the event's JSON, signed
with HMAC-SHA256 in the X-Ajar-Signature header when a secret is given,
retried with backoff while the receiver is down), a command run with the
event on its standard input (--exec), and syslog. Stop with Ctrl-C (exit 0):
queued webhook deliveries get 5 seconds to finish.

--metrics ADDR serves Prometheus metrics at http://ADDR/metrics:
ajar_watch_open_ports (by proto and exposure for --local, by host and proto
for rescans), ajar_watch_events_total (by kind), ajar_watch_findings (the
last rescan's, by severity, with --audit), ajar_watch_scans_total,
ajar_watch_last_scan_timestamp_seconds, ajar_watch_scan_duration_seconds
(a histogram of rescans), and the process's CPU, memory and goroutines.`,
		Example: `  ajar watch --local                  every listener that opens or closes
  ajar watch --local --exposed -o jsonl
                                      only what other hosts can reach, as JSON Lines
  ajar watch --local --netns blue     the listeners of network namespace "blue"
  ajar watch --local --all-netns      this machine's and every container's
  AJAR_WEBHOOK_SECRET=s3cret ajar watch --local --webhook https://hooks.example/ajar
  ajar watch --local --exec 'logger -t ajar-watch'
  ajar watch --local --metrics 127.0.0.1:9464
                                      Prometheus scrapes the open ports and events
  ajar watch 10.0.0.0/24 -p 22,80,443 --every 1h --webhook https://hooks.example/ajar
                                      a new open port in the network, within the hour`,
		// The flags are parsed by the mode: --local's own, or the scan's.
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case slices.Contains(args, "--local"):
				if err := cmd.Flags().Parse(args); err != nil {
					return flagError(cmd, err)
				}
				if help, _ := cmd.Flags().GetBool("help"); help {
					return cmd.Help()
				}
				if len(cmd.Flags().Args()) > 0 {
					return watchUsage("--local watches this machine: it takes no targets")
				}
				return runWatch(cmd, env, &f)
			case slices.Contains(args, "-h") || slices.Contains(args, "--help") || len(args) == 0:
				if len(args) == 0 {
					return watchUsage("give --local (this machine's listeners), or targets and --every D")
				}
				return cmd.Help()
			}
			return runWatchScan(cmd, env, &f, args)
		},
	}
	cmd.Flags().BoolP("help", "h", false, "help for watch")
	fl := cmd.Flags()
	fl.BoolVar(&f.local, "local", false, "watch this machine's listening sockets (required)")
	fl.StringVar(&f.netns, "netns", "", "watch network namespace `NAME` (from 'ip netns', or a path)")
	fl.BoolVar(&f.allNetns, "all-netns", false, "watch every network namespace too (ip netns, containers'), new ones included")
	fl.DurationVar(&f.interval, "interval", watch.DefaultInterval, "time between two reads of the socket list")
	fl.StringVarP(&f.output, "output", "o", "table", "output `FORMAT` on stdout: table (one line an event) or jsonl")
	fl.BoolVarP(&f.tcp, "tcp", "t", false, "TCP sockets only")
	fl.BoolVarP(&f.udp, "udp", "u", false, "UDP sockets only")
	fl.BoolVarP(&f.ip4, "ipv4", "4", false, "IPv4 sockets only")
	fl.BoolVarP(&f.ip6, "ipv6", "6", false, "IPv6 sockets only")
	fl.StringVar(&f.ports, "port", "", "only these local ports, e.g. 22,80,8000-8100")
	fl.StringVar(&f.process, "process", "", "only sockets of processes whose name contains `NAME`")
	fl.BoolVar(&f.exposed, "exposed", false, "only sockets other hosts can reach (not loopback)")
	addAlertFlags(fl, &f)
	completeNetns(cmd)
	cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"table", "jsonl"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// addAlertFlags adds the alert sinks' flags, of both modes.
func addAlertFlags(fl *pflag.FlagSet, f *watchFlags) {
	fl.StringVar(&f.webhook, "webhook", "", "POST each event as JSON to `URL` (secret from $AJAR_WEBHOOK_SECRET or --webhook-secret-file)")
	fl.StringVar(&f.secretFile, "webhook-secret-file", "", "read the webhook's HMAC secret from `FILE`")
	fl.StringVar(&f.exec, "exec", "", "run `COMMAND` (split at spaces, no shell) for each event, the event's JSON on its stdin")
	fl.BoolVar(&f.syslog, "syslog", false, "send each event to syslog (facility daemon, tag ajar)")
	fl.StringVar(&f.metrics, "metrics", "", "serve Prometheus metrics at http://`ADDR`/metrics (e.g. 127.0.0.1:9464)")
}

func watchUsage(format string, a ...any) error {
	return usageErrorf("%s (see 'ajar watch --help')", fmt.Sprintf(format, a...))
}

// watchLocal turns the flags into the watcher.
func watchLocal(cmd *cobra.Command, f *watchFlags) (*watch.Local, error) {
	if !f.local {
		return nil, watchUsage("give --local: ajar watch watches this machine's listeners")
	}
	if f.interval < 10*time.Millisecond || f.interval > time.Hour {
		return nil, watchUsage("bad --interval %v: give 10ms to 1h", f.interval)
	}
	if cmd.Flags().Changed("netns") && f.netns == "" {
		return nil, watchUsage("bad --netns: give a namespace name")
	}
	if f.allNetns && f.netns != "" {
		return nil, watchUsage("give --netns NAME or --all-netns, not both")
	}
	l := &watch.Local{Interval: f.interval, Options: sockets.Options{
		NoTCP: f.udp && !f.tcp, NoUDP: f.tcp && !f.udp, No4: f.ip6 && !f.ip4, No6: f.ip4 && !f.ip6, Netns: f.netns,
	}}
	if cmd.Flags().Changed("port") {
		pr, err := portspec.ParseRanges(f.ports)
		if err != nil {
			return nil, watchUsage("bad --port: %v", err)
		}
		l.Filter.Ports = pr.Contains
	}
	l.Filter.Process, l.Filter.Exposed = f.process, f.exposed
	return l, nil
}

// watchSinks opens the outputs and alert sinks the flags ask for.
func watchSinks(env *Env, f *watchFlags, output string, warn func(error)) (watch.Sink, error) {
	var sinks []watch.Sink
	switch output {
	case "table":
		sinks = append(sinks, eventLines{env.Stdout})
	case "jsonl", "json":
		sinks = append(sinks, watch.JSONLines(env.Stdout))
	default:
		return nil, watchUsage("unknown output format %q (want table or jsonl)", output)
	}
	if f.webhook != "" {
		if !strings.HasPrefix(f.webhook, "http://") && !strings.HasPrefix(f.webhook, "https://") {
			return nil, watchUsage("bad --webhook %q: give an http:// or https:// URL", f.webhook)
		}
		w := &watch.Webhook{URL: f.webhook, Warn: warn}
		if s := os.Getenv("AJAR_WEBHOOK_SECRET"); s != "" {
			w.Secret = []byte(s)
		}
		if f.secretFile != "" {
			b, err := os.ReadFile(f.secretFile)
			if err != nil {
				return nil, watchUsage("--webhook-secret-file: %v", err)
			}
			w.Secret = []byte(strings.TrimSpace(string(b)))
		}
		sinks = append(sinks, w)
	} else if f.secretFile != "" {
		return nil, watchUsage("--webhook-secret-file signs what --webhook sends: give --webhook too")
	}
	if f.exec != "" {
		x, err := watch.Exec(strings.Fields(f.exec), env.Stderr)
		if err != nil {
			return nil, watchUsage("--exec: %v", err)
		}
		sinks = append(sinks, x)
	}
	if f.syslog {
		s, err := watch.Syslog()
		if err != nil {
			return nil, failure(fmt.Errorf("--syslog: %w", err))
		}
		sinks = append(sinks, s)
	}
	return watch.Multi(warn, sinks...), nil
}

func runWatch(cmd *cobra.Command, env *Env, f *watchFlags) error {
	l, err := watchLocal(cmd, f)
	if err != nil {
		return err
	}
	warn := func(err error) { fmt.Fprintln(env.Stderr, "ajar: "+oneLine(err.Error())) }
	sink, err := watchSinks(env, f, f.output, warn)
	if err != nil {
		return err
	}
	sink, msrv, err := withMetrics(cmd.Flags(), f, false, sink, warn)
	if err != nil {
		return err
	}
	defer msrv.stop()
	if msrv != nil {
		l.Dumped = msrv.m.Dumped
	}
	l.Ready = func(now []record.Socket) {
		fmt.Fprintf(env.Stderr, "ajar: watching %d listening sockets; events follow\n", len(now))
	}
	emit := func(e watch.Event) error { return sink.Send(e) }
	if f.allNetns {
		err = (&watch.AllNamespaces{Local: *l}).Run(cmd.Context(), emit)
	} else {
		err = l.Run(cmd.Context(), emit)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if cerr := sink.Close(ctx); cerr != nil {
		warn(cerr)
	}
	switch {
	case errors.Is(err, context.Canceled) && cmd.Context().Err() != nil:
		return nil // stopped by the user: the watch's normal end
	case err != nil && errorsIsNoNetns(err):
		return watchUsage("%v", err)
	}
	return failure(err)
}

// eventLines writes events for people: one line each.
type eventLines struct{ w io.Writer }

func (e eventLines) Send(v any) error {
	switch v := v.(type) {
	case watch.Event:
		return e.listener(v)
	case watch.ScanEvent:
		_, err := fmt.Fprintf(e.w, "%s  %s  %s\n", v.Time.Format(time.RFC3339), printableArg(v.Change.Host.String()), printableArg(v.Change.String()))
		return err
	}
	return fmt.Errorf("watch: no line for %T", v)
}

func (e eventLines) listener(ev watch.Event) error {
	who := "no visible process"
	if ev.PID != 0 {
		who = fmt.Sprintf("pid %d (%s)", ev.PID, ev.Process)
	}
	addr := ev.Address.String()
	if ev.Address.Is6() {
		addr = "[" + addr + "]"
	}
	_, err := fmt.Fprintf(e.w, "%s  %-6s  %s %s:%d  %s  user %s  exposure %s\n",
		ev.Time.Format(time.RFC3339), ev.Event, ev.Proto, printableArg(addr), ev.Port, printableArg(who), printableArg(ev.User), ev.Exposure)
	return err
}

func (eventLines) Close(context.Context) error { return nil }

// printableArg replaces control characters (a process may name itself
// anything) so that a line stays one line on a terminal.
func printableArg(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return '?'
		}
		return r
	}, s)
}

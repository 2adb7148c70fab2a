package cli

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/report"
	"github.com/ajarsec/ajar/sockets"
)

type socketsFlags struct {
	all, tcp, udp, ipv4, ipv6 bool
	ports                     string
	process                   string
	pid                       int
	exposed                   bool
	netns                     string
	output                    string
	verbose                   bool
	store                     storeFlags
}

func newSocketsCmd(env *Env) *cobra.Command {
	var f socketsFlags
	cmd := &cobra.Command{
		Use:     "sockets",
		Aliases: []string{"ls"},
		Short:   "List this machine's listening sockets: process, user and exposure",
		Long: `List the sockets of this machine: by default the listening TCP sockets and
the bound UDP sockets, IPv4 and IPv6, with the process and user that own each
and its exposure, which says who can reach it:

  loopback      bound to 127.0.0.0/8 or ::1: only this machine
  local-link    bound to one link-local address: that link only
  interface     bound to one device (SO_BINDTODEVICE): through that
                interface only
  address       bound to one address, and no device: at that address only,
                but through every interface, from wherever it is routed
                (Linux takes a packet for any of its addresses on any
                interface; rp_filter checks sources and does not stop it)
  all           bound to 0.0.0.0 or :: : every address, every interface
                ("v4+v6" when an IPv6 wildcard also takes IPv4, "v6 only"
                when it does not)

Sockets come from the kernel over netlink (as ss does); owners from /proc.
A socket shared by several processes (nginx's master and workers) matches
--pid and --process of each; -v lists them all. Without root, other users'
processes are hidden: their sockets show no pid.`,
		Example: `  ajar sockets                      listening TCP and bound UDP sockets
  ajar sockets --exposed            only what other hosts can reach
  ajar sockets -a --tcp             every TCP socket, established ones too
  ajar sockets --port 22,8000-8100  only these ports
  ajar sockets --process nginx -v   nginx's sockets, with command lines and
                                    every nginx process that holds each
  ajar sockets --netns blue         the sockets of network namespace "blue"
  ajar sockets -o json | jq '.[] | select(.exposure == "all")'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runSockets(cmd, env, &f) },
	}
	fl := cmd.Flags()
	fl.BoolVarP(&f.all, "all", "a", false, "list sockets in every state (established, time-wait, ...)")
	fl.BoolVarP(&f.tcp, "tcp", "t", false, "TCP sockets only")
	fl.BoolVarP(&f.udp, "udp", "u", false, "UDP sockets only")
	fl.BoolVarP(&f.ipv4, "ipv4", "4", false, "IPv4 sockets only")
	fl.BoolVarP(&f.ipv6, "ipv6", "6", false, "IPv6 sockets only")
	fl.StringVar(&f.ports, "port", "", "only these local ports, e.g. 22,80,8000-8100")
	fl.StringVar(&f.process, "process", "", "only sockets of processes whose name contains `NAME`")
	fl.IntVar(&f.pid, "pid", 0, "only sockets held by process `PID` (alone or with others)")
	fl.BoolVar(&f.exposed, "exposed", false, "only sockets other hosts can reach (not loopback)")
	fl.StringVar(&f.netns, "netns", "", "list the sockets of network namespace `NAME` (from 'ip netns', or a path)")
	fl.StringVarP(&f.output, "output", "o", "table", "output `FORMAT`: table, json, jsonl or csv")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "add command lines, every process holding each socket, and the interfaces it is reachable through")
	f.store.register(fl)
	completeNetns(cmd)
	cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"table", "json", "jsonl", "csv"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func runSockets(cmd *cobra.Command, env *Env, f *socketsFlags) error {
	format, err := report.ParseFormat(f.output)
	if err != nil {
		return socketsUsage("%v", err)
	}
	opts := sockets.Options{
		NoTCP:   f.udp && !f.tcp,
		NoUDP:   f.tcp && !f.udp,
		No4:     f.ipv6 && !f.ipv4,
		No6:     f.ipv4 && !f.ipv6,
		All:     f.all,
		Netns:   f.netns,
		Cmdline: f.verbose,
	}
	var filter sockets.Filter
	if cmd.Flags().Changed("port") {
		pr, err := portspec.ParseRanges(f.ports)
		if err != nil {
			return socketsUsage("bad --port: %v", err)
		}
		filter.Ports = pr.Contains
	}
	if cmd.Flags().Changed("pid") {
		if f.pid <= 0 {
			return socketsUsage("bad --pid %d: a pid is a positive number", f.pid)
		}
		ok, err := sockets.ProcessExists(cmd.Context(), f.pid)
		if err != nil {
			return failure(err)
		}
		if !ok {
			return socketsUsage("no such process: pid %d", f.pid)
		}
		filter.PID = f.pid
	}
	if cmd.Flags().Changed("process") && f.process == "" {
		return socketsUsage("bad --process: give a process name")
	}
	filter.Process = f.process
	filter.Exposed = f.exposed
	if cmd.Flags().Changed("netns") && f.netns == "" {
		return socketsUsage("bad --netns: give a namespace name")
	}

	snap, err := sockets.List(cmd.Context(), opts)
	if err != nil {
		if errorsIsNoNetns(err) {
			return socketsUsage("%v", err)
		}
		return failure(err)
	}
	if snap.Hidden > 0 {
		fmt.Fprintf(env.Stderr, "ajar: %d processes of other users are not visible to uid %s: their sockets show no pid (root sees all owners)\n",
			snap.Hidden, strconv.Itoa(os.Geteuid()))
	}
	recordSockets(cmd, env, &f.store, time.Now(), snap.Sockets)
	ss := filter.Apply(snap.Sockets)
	style := report.Style{Verbose: f.verbose, Color: colorWanted(env.Stdout)}
	return failure(report.WriteSockets(env.Stdout, format, ss, style))
}

// socketsUsage reports bad input to ajar sockets, pointing at its help.
func socketsUsage(format string, a ...any) error {
	return usageErrorf("%s (see 'ajar sockets --help')", fmt.Sprintf(format, a...))
}

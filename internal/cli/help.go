package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ajarsec/ajar/report"
	"github.com/spf13/cobra"
)

// helpTopics are texts too long for a command's --help: 'ajar help TOPIC'.
var helpTopics = map[string]string{
	"scanning": scanningHelp,
}

var scanningHelp = `Scan hosts for open, closed and filtered TCP ports. Every (host, port) pair
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

Timeouts: a try waits the host's round-trip estimate (RFC 6298: smoothed
time plus four deviations), at least --min-timeout (100ms) and at most
--max-timeout (3s); a retry doubles the estimate, not the floor. Before
anything has answered, the first probes wait a quarter of --initial-timeout
(1s), and one cut short on a path found slower is sent again.

Targets: addresses (192.0.2.1, 2001:db8::1), link-local addresses with the
interface to reach them through (fe80::1%eth0), CIDR blocks (10.0.0.0/24),
ranges (10.0.0.1-20, 10.0.0.1-10.0.1.5) and hostnames, on the command line
or one per line in a file (-iL FILE, # starts a comment).

Ports: -p 22,80,1000-2000, -p- for all, -p ssh,https by service name,
-p T:22,80,U:53,161 to pick per protocol; --top-ports N or -F (the 100 most
common) from ajar's own tables. The default is the top 1000 of each protocol
scanned.

` + discoverHelp + `

Output formats (-o, --save FORMAT:PATH):
` + report.FormatHelp() + `
Ctrl-C stops the scan: what was found is written, files stay valid, and ajar
exits with 130.

--checkpoint FILE keeps the scan's progress in FILE, a new file, committed
every second, so that it survives Ctrl-C, a crash or kill -9. 'ajar scan
--resume FILE' then goes on where the scan stopped, with nothing else on the
command line: FILE holds the scan (ports, techniques, seed, shard, pace,
outputs) and the targets as resolved. Its outputs (stdout and --save files)
first hold what the stopped run found, then the rest: the whole scan, no
port twice. Only flags of pace
and output (--rate, --max-parallel, --retries, timeouts, -o, --save, -q,
-sV) may be given anew; others must repeat the saved values. When the scan
is complete, FILE is removed.

Shards: --shard I/N scans the I-th of N slices of the probes. Shards of one
scan run apart (on other machines, at other times) add up to the whole
scan, each probe once: without --seed, the probe order is drawn from the
scan itself (targets and ports), so every shard run agrees on it.

` + timingHelp + `

nmap's spellings: -sS -sT -sU -sV and their combinations (-sSV, -sTU), -Pn,
-sn, -iL FILE, -p-, -oN/-oX/-oG FILE and -oA BASE (- for standard output),
--max-retries, --min-rtt-timeout, --max-rtt-timeout, --initial-rtt-timeout,
--scan-delay, --host-timeout, --open, -4, -6, -v, -n and --reason (ajar
always gives the reason and never looks names up). --host-timeout D stops
sending probes to a host D after its first; unlike nmap, ajar still reports
the ports it probed, and says the host timed out. --open leaves out the
hosts without an open port. Flags ajar does not have (-O, -A, -sC,
--script, -sA, ...) are refused with what to do instead.`

// newHelpCmd is 'ajar help [COMMAND|TOPIC]': a command's help, a topic's
// text, and a usage error for anything else.
func newHelpCmd(env *Env, root *cobra.Command) *cobra.Command {
	topics := make([]string, 0, len(helpTopics))
	for t := range helpTopics {
		topics = append(topics, t)
	}
	sort.Strings(topics)
	return &cobra.Command{
		Use:   "help [command | topic]",
		Short: "Help about any command, or a topic: " + strings.Join(topics, ", "),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			names := append([]string{}, topics...)
			for _, c := range root.Commands() {
				if c.IsAvailableCommand() {
					names = append(names, c.Name())
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				if text, ok := helpTopics[args[0]]; ok {
					_, err := fmt.Fprintln(env.Stdout, text)
					return failure(err)
				}
			}
			c, rest, err := root.Find(args)
			if err != nil || c == nil || len(rest) > 0 {
				return usageErrorf("no help for %q: not a command or a topic (topics: %s)", strings.Join(args, " "), strings.Join(topics, ", "))
			}
			return failure(c.Help())
		},
	}
}

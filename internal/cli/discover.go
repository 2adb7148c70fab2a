package cli

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/ajarsec/ajar/discover"
	"github.com/ajarsec/ajar/run"
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
	fl.IntVar(&d.hostGroup, "max-hostgroup", run.DefaultHostGroup, "discover and scan the targets `N` addresses (a host group) at a time")
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

// Package discover finds which hosts of a target set are up before their
// ports are scanned: nmap's host discovery ("ping scan").
//
// With raw-socket privileges (root or CAP_NET_RAW) a host on a directly
// attached Ethernet link is asked with ARP (IPv4) or an NDP neighbour
// solicitation (IPv6): a host that answers is up even when its firewall
// drops every IP packet. Other hosts get ICMP echo and timestamp requests
// (ICMPv6 echo for IPv6), a TCP SYN to port 443 and a TCP ACK to port 80,
// and are up when anything answers: a reply, a SYN-ACK, a reset, or an
// ICMP error sent by the host itself. The interface and source address of
// each target come from the kernel's routing table.
//
// Without those privileges it falls back to what any user may do: TCP
// connect() to ports 80 and 443 (a refusal counts as up) and an ICMP
// echo over a datagram socket where net.ipv4.ping_group_range allows.
//
// Every reply is parsed by a pure function of its bytes (parse.go):
// replies come from the network and may be hostile, so nothing in them is
// trusted beyond what is checked against the probe that caused them.
package discover

import (
	"errors"
	"net/netip"
	"time"
)

// Targets is the host space discovery walks; target.Set is one.
type Targets interface {
	Len() uint64
	At(i uint64) netip.Addr
}

// Namer is implemented by Targets that remember the hostname an address
// came from.
type Namer interface {
	Name(netip.Addr) string
}

// Mode says which probes may be used.
type Mode uint8

// The modes.
const (
	// Auto uses raw sockets when it may, and falls back to unprivileged
	// probes when it may not.
	Auto Mode = iota
	// Raw requires raw sockets: Open fails without the privilege.
	Raw
	// Unprivileged uses only what any user may: TCP connect() and ICMP
	// datagram sockets.
	Unprivileged
)

// Config tunes discovery. The zero value is a sensible default for every
// field.
type Config struct {
	Mode Mode
	// NoNeighbor sends IP probes to hosts on local links too, instead of
	// ARP or NDP (nmap's --disable-arp-ping).
	NoNeighbor bool
	// Retries is how many more times a silent host is probed; 0 is one
	// retry, a negative value none.
	Retries int
	// Timeout is the wait for an answer to each try; 0 is one second.
	Timeout time.Duration
	// Rate caps the probe packets sent a second, retries included; 0 is
	// DefaultRate.
	Rate float64
	// MaxParallel caps the hosts waiting for an answer at once; 0 is
	// DefaultMaxParallel (256 without raw sockets, where each costs two
	// sockets).
	MaxParallel int
	// MaxTime bounds the whole run: when it is up, Run stops as if its
	// context were cancelled and returns an error wrapping ErrMaxTime.
	// 0 is no bound but the context.
	MaxTime time.Duration
}

// Defaults for the zero Config.
const (
	DefaultTimeout     = time.Second
	DefaultRate        = 10000
	DefaultMaxParallel = 4096
	// unprivParallel is the default in-flight host limit for connect()
	// probes: two sockets a host.
	unprivParallel = 256
)

// ErrMaxTime is wrapped by the error Run returns when Config.MaxTime ran
// out before every host was decided.
var ErrMaxTime = errors.New("host discovery ran out of time")

// ErrPrivileges is wrapped by Open's error in Raw mode without raw-socket
// privileges.
var ErrPrivileges = errors.New("raw sockets need root or CAP_NET_RAW")

func (c Config) withDefaults(privileged bool) Config {
	if c.Retries == 0 {
		c.Retries = 1
	} else if c.Retries < 0 {
		c.Retries = 0
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Rate <= 0 {
		c.Rate = DefaultRate
	}
	if c.MaxParallel <= 0 {
		c.MaxParallel = DefaultMaxParallel
		if !privileged {
			c.MaxParallel = unprivParallel
		}
	}
	return c
}

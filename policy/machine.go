package policy

import (
	"context"
	"net"
	"net/netip"
	"os"
	"strings"
)

// Machine is what a local check learns of this machine besides its
// sockets.
type Machine struct {
	// Subject is its addresses (every interface's, loopback too) and its
	// hostname.
	Subject Subject
	// NAT are the ports its DNAT rules publish.
	NAT []NATPort
	// Notes say what could not be read (no nft, no permission).
	Notes []string
}

// maxRuleset bounds the nft or iptables-save output read.
const maxRuleset = 32 << 20

// ReadMachine reads this machine's addresses, hostname and DNAT-published
// ports, in network namespace netns when it is not "" (Linux only).
func ReadMachine(ctx context.Context, netns string) (Machine, error) {
	var m Machine
	err := inNetns(netns, func() error {
		ifaddrs, err := net.InterfaceAddrs()
		if err != nil {
			return err
		}
		for _, ia := range ifaddrs {
			if ipn, ok := ia.(*net.IPNet); ok {
				if a, ok := netip.AddrFromSlice(ipn.IP); ok {
					m.Subject.Addrs = append(m.Subject.Addrs, a.Unmap())
				}
			}
		}
		m.NAT, m.Notes = readNAT(ctx)
		return nil
	})
	if err != nil {
		return Machine{}, err
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		m.Subject.Names = append(m.Subject.Names, h)
		if short, _, ok := strings.Cut(h, "."); ok {
			m.Subject.Names = append(m.Subject.Names, short)
		}
	}
	m.Subject.Addrs = sortedAddrs(m.Subject.Addrs)
	return m, nil
}

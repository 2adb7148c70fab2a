package syn

import (
	"fmt"
	"strconv"
	"strings"
)

const (
	// minSourcePorts is the fewest source ports a default range holds.
	minSourcePorts = 1024
	// maxSourcePorts caps a default range taken below the ephemeral one,
	// to stay clear of the registered ports of services.
	maxSourcePorts = 8192
	// firstUnprivileged is the lowest port ever picked by default.
	firstUnprivileged = 1024
)

// defaultSourcePorts picks source ports outside the kernel's ephemeral
// range [elo, ehi]: every port above it when there are at least
// minSourcePorts of them, or else up to maxSourcePorts ports just below
// it, never under 1024. The kernel gives ephemeral ports to its own
// connections only from [elo, ehi] (and binds to port 0 likewise), so a
// SYN of ours never shares a four-tuple with one of them.
func defaultSourcePorts(elo, ehi uint16) (lo, hi uint16, err error) {
	if elo == 0 || elo > ehi {
		return 0, 0, fmt.Errorf("syn: bad ephemeral port range %d-%d", elo, ehi)
	}
	if 65535-int(ehi) >= minSourcePorts {
		return ehi + 1, 65535, nil
	}
	if int(elo)-firstUnprivileged >= minSourcePorts {
		lo := max(int(elo)-maxSourcePorts, firstUnprivileged)
		return uint16(lo), elo - 1, nil
	}
	return 0, 0, fmt.Errorf("syn: the ephemeral port range %d-%d leaves fewer than %d ports outside it: give the source ports", elo, ehi, minSourcePorts)
}

// parsePortRange reads net.ipv4.ip_local_port_range: two numbers.
func parsePortRange(s string) (lo, hi uint16, err error) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return 0, 0, fmt.Errorf("syn: ip_local_port_range %q: want two ports", s)
	}
	a, err1 := strconv.ParseUint(f[0], 10, 16)
	b, err2 := strconv.ParseUint(f[1], 10, 16)
	if err1 != nil || err2 != nil || a == 0 || a > b {
		return 0, 0, fmt.Errorf("syn: ip_local_port_range %q: want two ports, low to high", s)
	}
	return uint16(a), uint16(b), nil
}

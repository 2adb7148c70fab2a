//go:build linux

package netnstest

import "strings"

// Sysctl sets a kernel parameter inside the namespace and fails the test
// if it cannot. Parameters under net. belong to the namespace: setting
// net.ipv4.icmp_ratelimit in a target changes neither the host nor the
// scanner.
func (ns *NS) Sysctl(key, value string) {
	ns.t.Helper()
	ns.Run("sysctl", "-q", "-w", key+"="+value)
}

// ReadSysctl reads a kernel parameter as seen inside the namespace.
func (ns *NS) ReadSysctl(key string) string {
	ns.t.Helper()
	return strings.TrimSpace(ns.Run("sysctl", "-n", key))
}

// LiftICMPLimits lets the target answer every probe with its ICMP error:
// no limit per peer (net.ipv4.icmp_ratelimit, net.ipv6.icmp.ratelimit) and
// none for all peers together (net.ipv4.icmp_msgs_per_sec and _burst,
// which would otherwise silence all but about 50 errors at once).
func (b *Bed) LiftICMPLimits() {
	b.t.Helper()
	for _, kv := range [][2]string{
		{"net.ipv4.icmp_ratelimit", "0"}, {"net.ipv6.icmp.ratelimit", "0"},
		{"net.ipv4.icmp_msgs_per_sec", "100000"}, {"net.ipv4.icmp_msgs_burst", "100000"},
	} {
		b.Target.Sysctl(kv[0], kv[1])
	}
}

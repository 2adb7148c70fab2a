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

package fingerprint

import (
	"context"
	"net/netip"
)

// AcquireUDP and UDPLimiterHosts open the limiter to the tests.
func AcquireUDP(l *UDPLimiter, ctx context.Context, host netip.Addr) (func(), error) {
	return l.acquire(ctx, host)
}

func UDPLimiterHosts(l *UDPLimiter) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.hosts)
}

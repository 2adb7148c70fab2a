package fingerprint

import (
	"context"
	"net/netip"

	"github.com/ajarsec/ajar/portspec"
)

// AcquireUDP and UDPLimiterHosts open the limiter to the tests.
func AcquireUDP(l *UDPLimiter, ctx context.Context, host netip.Addr) (func(), error) {
	return l.acquire(ctx, host, false)
}

// AcquireUDPOwn acquires as a port's own probe does.
func AcquireUDPOwn(l *UDPLimiter, ctx context.Context, host netip.Addr) (func(), error) {
	return l.acquire(ctx, host, true)
}

func UDPLimiterHosts(l *UDPLimiter) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.hosts)
}

// UDPLimiterWaiting counts the waiters for host.
func UDPLimiterWaiting(l *UDPLimiter, host netip.Addr) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.hosts[host]
	if h == nil {
		return 0
	}
	return len(h.waiting[0]) + len(h.waiting[1])
}

// UDPOrder is udpOrder of the registered UDP plugins, by name.
func UDPOrder(port uint16) (names []string, own int) {
	order, own := udpOrder(Plugins(portspec.UDP), port)
	for _, p := range order {
		names = append(names, p.Info().Name)
	}
	return names, own
}

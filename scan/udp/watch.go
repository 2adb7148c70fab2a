package udp

import (
	"context"
	"net/netip"
	"time"

	"github.com/ajarsec/ajar/record"
)

// LimitWatch watches a UDP scan's results for hosts whose silent ports may
// be closed ports whose ICMP answers were rate limited, and then measures
// those hosts' limits. The zero value is not usable: make it with
// NewLimitWatch. Observe is called from one goroutine, as results arrive.
type LimitWatch struct {
	maxHosts int
	hosts    map[netip.Addr]*watched
}

type watched struct {
	closed       netip.AddrPort // one closed port, to measure with
	openFiltered int
}

// NewLimitWatch watches at most maxHosts hosts (the first ones seen with a
// closed UDP port): memory and the measuring afterwards stay bounded.
func NewLimitWatch(maxHosts int) *LimitWatch {
	return &LimitWatch{maxHosts: maxHosts, hosts: map[netip.Addr]*watched{}}
}

// Observe takes one scan result.
func (lw *LimitWatch) Observe(r *record.PortResult) {
	if r.Proto != record.UDP {
		return
	}
	h := lw.hosts[r.Host]
	if h == nil {
		if len(lw.hosts) >= lw.maxHosts {
			return
		}
		h = &watched{}
		lw.hosts[r.Host] = h
	}
	switch r.State {
	case record.Closed:
		if !h.closed.IsValid() {
			h.closed = netip.AddrPortFrom(r.Host, r.Port)
		}
	case record.OpenFiltered:
		h.openFiltered++
	}
}

// Hints measures the ICMP limit of each watched host that has both a
// closed and open|filtered ports, and returns a note for each host whose
// limit explains its silence. It sends at most 64 datagrams to one closed
// port of each host, for at most budget per host.
func (lw *LimitWatch) Hints(ctx context.Context, budget time.Duration) []string {
	var hints []string
	w := Prober{}.NewWorker()
	defer w.Close()
	for _, h := range lw.hosts {
		if !h.closed.IsValid() || h.openFiltered == 0 || ctx.Err() != nil {
			continue
		}
		lim, err := MeasureICMPLimit(ctx, w, h.closed, 100*time.Millisecond, budget)
		if err != nil {
			continue // the port no longer answers as closed: nothing to say
		}
		if hint := lim.Hint(h.openFiltered); hint != "" {
			hints = append(hints, hint)
		}
	}
	return hints
}

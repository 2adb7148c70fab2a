package report

import (
	"net/netip"

	"github.com/ajarsec/ajar/record"
)

// openFilter is Options.OpenOnly for the writers that stream records as
// they come (JSON, JSON Lines, CSV): a Host record is written only when
// one of its ports was open. It relies on the order every producer keeps:
// a host's Host record after its ports. It remembers only the hosts in
// progress that have an open port.
type openFilter struct {
	on   bool
	open map[netip.Addr]bool
}

func newOpenFilter(opts Options) openFilter {
	return openFilter{on: opts.OpenOnly, open: make(map[netip.Addr]bool)}
}

// port notes a port result.
func (f *openFilter) port(r *record.PortResult) {
	if f.on && r.State == record.Open {
		f.open[r.Host] = true
	}
}

// keep reports whether a host's record is written, and forgets the host.
func (f *openFilter) keep(h *record.Host) bool {
	if !f.on {
		return true
	}
	ok := f.open[h.Addr]
	delete(f.open, h.Addr)
	return ok
}

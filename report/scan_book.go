package report

import (
	"cmp"
	"net/netip"
	"slices"
	"time"

	"github.com/ajarsec/ajar/record"
)

// maxPending is how many hosts that have not answered yet (every port so
// far filtered) a book keeps counters for. Past it, such hosts are
// forgotten until they answer; see book.finish for how their silent ports
// are then accounted for.
const maxPending = 1 << 15

// maxReasons bounds the distinct reasons a book tells apart; reasons come
// from ajar's own probers, so a handful is the norm.
const maxReasons = 255

// book gathers what table and XML print host by host, from results that
// arrive interleaved: the open ports of every host that answered, and a
// count per (protocol, state, reason) of the rest.
type book struct {
	all        bool // keep every port, not only listed ones
	hosts      map[netip.Addr]*hostEntry
	up         int
	pending    int // hosts in hosts that are not up
	maxPending int
	dropped    uint64 // results of hosts forgotten for want of room
	reasons    []record.Reason
	reasonIdx  map[record.Reason]uint8
	finished   []upHost // finish's result, once it has run
	isFinished bool
}

// hostEntry is what a book keeps of one host.
type hostEntry struct {
	name   string
	up     bool
	lost   bool  // made after some results were dropped: may miss ports
	why    uint8 // reason of the first answer
	srtt   time.Duration
	rttvar time.Duration
	// minRTT is the fastest answer: the host's latency as the table
	// shows it. A probe's round-trip time also holds the scanner's own
	// delays under load, which the fastest answer mostly escapes.
	minRTT time.Duration
	counts []portCount
	ports  []portRec
}

// portCount counts a host's ports that are not listed one by one.
type portCount struct {
	proto  record.Proto
	state  record.State
	reason uint8
	n      uint32
}

// portRec is one listed port.
type portRec struct {
	port   uint16
	proto  record.Proto
	state  record.State
	reason uint8
	svc    *record.Service
}

func newBook(all bool) *book {
	return &book{
		all:        all,
		hosts:      make(map[netip.Addr]*hostEntry),
		maxPending: maxPending,
		reasonIdx:  make(map[record.Reason]uint8),
	}
}

func (b *book) reason(r record.Reason) uint8 {
	if i, ok := b.reasonIdx[r]; ok {
		return i
	}
	if len(b.reasons) >= maxReasons {
		r = "unknown"
		if i, ok := b.reasonIdx[r]; ok {
			return i
		}
	}
	i := uint8(len(b.reasons))
	b.reasons = append(b.reasons, r)
	b.reasonIdx[r] = i
	return i
}

func (b *book) add(r *record.PortResult) {
	ans := answered(r.State)
	h := b.hosts[r.Host]
	if h == nil {
		if !ans && !b.all && b.pending >= b.maxPending {
			b.dropped++
			return
		}
		h = &hostEntry{lost: b.dropped > 0}
		b.hosts[r.Host] = h
		if !ans {
			b.pending++
		}
	} else if ans && !h.up {
		b.pending--
	}
	if ans && !h.up {
		h.up = true
		h.why = b.reason(r.Reason)
		b.up++
	}
	if h.name == "" && r.Hostname != "" {
		h.name = r.Hostname
	}
	if ans && r.RTT > 0 {
		h.sample(r.RTT)
	}
	reason := b.reason(r.Reason)
	if b.all || listed(r.State) {
		p := portRec{port: r.Port, proto: r.Proto, state: r.State, reason: reason}
		if r.Service != nil {
			svc := *r.Service
			svc.CPE = slices.Clone(svc.CPE)
			p.svc = &svc
		}
		h.ports = append(h.ports, p)
		return
	}
	h.count(r.Proto, r.State, reason, 1)
}

func (h *hostEntry) count(proto record.Proto, state record.State, reason uint8, n uint32) {
	for i := range h.counts {
		c := &h.counts[i]
		if c.proto == proto && c.state == state && c.reason == reason {
			c.n += n
			return
		}
	}
	h.counts = append(h.counts, portCount{proto: proto, state: state, reason: reason, n: n})
}

// sample updates the smoothed round-trip time and its variation the way
// TCP does (RFC 6298).
func (h *hostEntry) sample(rtt time.Duration) {
	if h.minRTT == 0 || rtt < h.minRTT {
		h.minRTT = rtt
	}
	if h.srtt == 0 {
		h.srtt, h.rttvar = rtt, rtt/2
		return
	}
	d := h.srtt - rtt
	if d < 0 {
		d = -d
	}
	h.rttvar = (3*h.rttvar + d) / 4
	h.srtt = (7*h.srtt + rtt) / 8
}

// timeout is the retransmission timeout RFC 6298 derives from the samples.
func (h *hostEntry) timeout() time.Duration { return h.srtt + 4*h.rttvar }

// upHost is an up host, for printing.
type upHost struct {
	addr netip.Addr
	*hostEntry
}

// finish sorts the up hosts by address, their ports by number and their
// counts by size, and returns them.
//
// A host that answered after the book had to drop results may miss some
// of its silent ports. When the scan probed every port of every host (it
// was neither interrupted nor sharded), the missing ones are exactly the
// difference to ri.NumPorts, and are counted with the host's commonest
// silent (state, reason), or as filtered, no-response. Otherwise the
// counts are those seen.
//
// finish runs once; later calls, from writers sharing the book, return the
// same hosts.
func (b *book) finish(ri *RunInfo, st *RunStats) []upHost {
	if b.isFinished {
		return b.finished
	}
	b.isFinished = true
	hs := make([]upHost, 0, b.up)
	for a, h := range b.hosts {
		if h.up {
			hs = append(hs, upHost{a, h})
		}
	}
	slices.SortFunc(hs, func(x, y upHost) int { return x.addr.Compare(y.addr) })
	scans := ri.scans()
	var numPorts uint64
	for _, si := range scans {
		numPorts += uint64(si.NumPorts)
	}
	complete := !st.Interrupted && numPorts > 0 && ri.Shards <= 1
	for _, h := range hs {
		if h.lost && complete {
			b.fillIn(h.hostEntry, numPorts, scans[0].Proto)
		}
		slices.SortFunc(h.ports, func(x, y portRec) int {
			return cmp.Or(cmp.Compare(x.port, y.port), cmp.Compare(x.proto, y.proto))
		})
		slices.SortFunc(h.counts, func(x, y portCount) int {
			return cmp.Or(cmp.Compare(y.n, x.n), cmp.Compare(x.proto, y.proto),
				cmp.Compare(x.state, y.state), cmp.Compare(b.reasons[x.reason], b.reasons[y.reason]))
		})
	}
	b.finished = hs
	return hs
}

func (b *book) fillIn(h *hostEntry, want uint64, proto record.Proto) {
	seen := uint64(len(h.ports))
	var silent *portCount
	for i := range h.counts {
		c := &h.counts[i]
		seen += uint64(c.n)
		if !answered(c.state) && (silent == nil || c.n > silent.n) {
			silent = c
		}
	}
	if seen >= want {
		return
	}
	if silent == nil {
		h.count(proto, record.Filtered, b.reason(record.ReasonNoResponse), uint32(want-seen))
		return
	}
	silent.n += uint32(want - seen)
}

// total is how many hosts were scanned: as the caller says, and at least
// those that answered.
func (b *book) total(st *RunStats) int { return max(st.HostsTotal, b.up) }

// empty reports whether the book has seen no result.
func (b *book) empty() bool { return len(b.hosts) == 0 && b.dropped == 0 }

// bookUser is a writer that reads a book: table and XML. Writers that
// share a book leave adding results to it to their MultiWriter.
type bookUser struct {
	book   *book
	shared bool // the MultiWriter adds the results
}

func (u *bookUser) add(r *record.PortResult) {
	if !u.shared {
		u.book.add(r)
	}
}

func (u *bookUser) user() *bookUser { return u }

// shareBooks makes the writers among ws that keep books with the same
// options share one, while all are still empty, and returns the books
// shared, which the caller must add every result to: table and XML of one
// scan then cost the memory of one.
func shareBooks(ws []ResultWriter) []*book {
	var first [2]*bookUser // by AllPorts
	var shared []*book
	for _, w := range ws {
		bw, ok := w.(interface{ user() *bookUser })
		if !ok {
			continue
		}
		u := bw.user()
		if u.shared || !u.book.empty() {
			continue
		}
		i := 0
		if u.book.all {
			i = 1
		}
		f := first[i]
		switch {
		case f == nil:
			first[i] = u
			continue
		case !f.shared:
			f.shared = true
			shared = append(shared, f.book)
		}
		u.book, u.shared = f.book, true
	}
	return shared
}

package report

import (
	"cmp"
	"net/netip"
	"slices"
	"time"

	"github.com/ajarsec/ajar/record"
)

// maxPending is how many hosts that have not answered yet (every port so
// far silent) a book keeps counters for: twice a default host group.
// Past it, such hosts are forgotten until they answer; see book.ready for
// how their silent ports are then accounted for.
const maxPending = 1 << 13

// maxReasons bounds the distinct reasons a book tells apart; reasons come
// from ajar's own probers, so a handful is the norm.
const maxReasons = 255

// book gathers what table, XML and grepable output print host by host,
// from results that arrive interleaved: for each host in progress, its
// listed ports and a count per (protocol, state, reason) of the rest. A
// host leaves the book when it is printed: when its Host record comes,
// or at End. Memory grows with the hosts in progress, not with the scan.
type book struct {
	all        bool // keep every port, not only listed ones
	hosts      map[netip.Addr]*hostEntry
	pending    int // hosts in hosts that are not up
	maxPending int
	dropped    uint64 // results of hosts forgotten for want of room
	reasons    []record.Reason
	reasonIdx  map[record.Reason]uint8
}

// hostEntry is what a book keeps of one host.
type hostEntry struct {
	addr netip.Addr
	name string
	up   bool
	// held: an up Host record came before any of the host's ports (the
	// order of a producer that writes discovery's records first); the
	// host is printed at End, with the ports that came after.
	held bool
	lost bool  // made after some results were dropped: may miss ports
	why  uint8 // reason it is up: its Host record's, or its first answer's
	mac  record.MAC
	// srtt and rttvar smooth the answers' round-trip times (RFC 6298).
	srtt   time.Duration
	rttvar time.Duration
	// minRTT is the fastest answer: the host's latency as the table
	// shows it. A probe's round-trip time also holds the scanner's own
	// delays under load, which the fastest answer mostly escapes.
	minRTT time.Duration
	counts []portCount
	ports  []portRec
	// timedOut and unprobed are the host's Host.TimedOut and
	// Host.Unprobed: its scan stopped early.
	timedOut time.Duration
	unprobed uint64
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
	// findings are the audit's, worst first.
	findings []record.Finding
}

func newBook(all bool) *book {
	return &book{
		all:        all,
		hosts:      make(map[netip.Addr]*hostEntry),
		maxPending: maxPending,
		reasonIdx:  make(map[record.Reason]uint8),
	}
}

// listed reports whether a result is written on its own line without
// AllPorts. Only open ports are: closed and filtered ports, and the bulk
// states of other techniques (open|filtered from UDP silence, unfiltered
// from ACK resets), are counted per host and summarised, as nmap
// summarises them, so that memory and output stay bounded.
func listed(s record.State) bool { return s == record.Open }

// answered reports whether a result shows the host is up: the host, or a
// firewall speaking for it, answered. Every answer does, ICMP errors
// included (admin-prohibited, port-unreach), but the ones that say the
// host could not be reached (host-unreach, net-unreach, no-route); and
// silence does not.
func answered(s record.State, why record.Reason) bool {
	switch s {
	case record.Open, record.Closed, record.Unfiltered:
		return true
	}
	switch why {
	case "", record.ReasonNoResponse, record.ReasonHostUnreach, record.ReasonNetUnreach, record.ReasonNoRoute:
		return false
	}
	return true
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

// add books a port's result.
func (b *book) add(r *record.PortResult) {
	ans := answered(r.State, r.Reason)
	h := b.hosts[r.Host]
	if h == nil {
		if !ans && !b.all && b.pending >= b.maxPending {
			b.dropped++
			return
		}
		h = &hostEntry{addr: r.Host, lost: b.dropped > 0}
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
		p.findings = slices.Clone(r.Findings)
		h.ports = append(h.ports, p)
		return
	}
	h.count(r.Proto, r.State, reason, 1)
}

// fate is what a Host record makes of its host.
type fate uint8

const (
	fateHeld fate = iota // up, printed at End: its ports may follow
	fateUp               // up and finished: print it now
	fateDown             // down: listed as down where the format lists those
)

// host books a host's record. An up host (or one whose ports answered)
// leaves the book, to be printed now; a down one too. An up record for a
// host with no port booked is held until End, unless ports were dropped
// for want of room, when they may have been this host's: it is then
// finished, its ports counted by ready.
func (b *book) host(h *record.Host) (*hostEntry, fate) {
	e := b.hosts[h.Addr]
	if e == nil {
		if h.State != record.Up {
			return nil, fateDown
		}
		e = &hostEntry{addr: h.Addr, lost: b.dropped > 0}
		b.apply(e, h)
		if b.dropped > 0 {
			return e, fateUp
		}
		e.held = true
		b.hosts[h.Addr] = e
		return e, fateHeld
	}
	if e.held {
		b.apply(e, h) // a second record of a held host
		return e, fateHeld
	}
	delete(b.hosts, h.Addr)
	if !e.up {
		b.pending--
	}
	if h.State == record.Up || e.up {
		b.apply(e, h)
		return e, fateUp
	}
	return nil, fateDown
}

// apply takes what a Host record says of an entry: an up record's reason
// is the reason the host is up (user-set, arp-response); its name, MAC
// and round-trip time join what the ports said.
func (b *book) apply(e *hostEntry, h *record.Host) {
	if h.State == record.Up {
		e.up = true
		e.why = b.reason(h.Reason)
	}
	if e.name == "" {
		e.name = h.Name
	}
	if !h.MAC.IsZero() {
		e.mac = h.MAC
	}
	if h.RTT > 0 {
		e.sample(h.RTT)
	}
	if h.Unprobed > 0 {
		e.timedOut, e.unprobed = h.TimedOut, h.Unprobed
	}
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

// portsSeen is how many of the host's ports the book saw.
func (h *hostEntry) portsSeen() uint64 {
	n := uint64(len(h.ports))
	for _, c := range h.counts {
		n += uint64(c.n)
	}
	return n
}

// ready sorts a host's ports by number and its counts by size, for
// printing.
//
// A host booked after the book had to drop results may miss some of its
// silent ports. When every port of the host was probed (complete: the
// host is finished, or the scan was neither interrupted nor sharded), the
// missing ones are exactly the difference to the ports each host is
// probed on, and are counted with the host's commonest silent (state,
// reason), or as filtered, no-response. Otherwise the counts are those
// seen.
func (b *book) ready(h *hostEntry, ri *RunInfo, complete bool) {
	if h.lost && complete && ri.Shards <= 1 {
		if scans := ri.scans(); len(scans) > 0 {
			b.fillIn(h, ri.numPorts(), scans[0].Proto)
		}
	}
	slices.SortFunc(h.ports, func(x, y portRec) int {
		return cmp.Or(cmp.Compare(x.port, y.port), cmp.Compare(x.proto, y.proto))
	})
	slices.SortFunc(h.counts, func(x, y portCount) int {
		return cmp.Or(cmp.Compare(y.n, x.n), cmp.Compare(x.proto, y.proto),
			cmp.Compare(x.state, y.state), cmp.Compare(b.reasons[x.reason], b.reasons[y.reason]))
	})
}

func (b *book) fillIn(h *hostEntry, want uint64, proto record.Proto) {
	seen := h.portsSeen()
	if seen >= want {
		return
	}
	var silent *portCount
	for i := range h.counts {
		c := &h.counts[i]
		if !answered(c.state, b.reasons[c.reason]) && (silent == nil || c.n > silent.n) {
			silent = c
		}
	}
	if silent == nil {
		h.count(proto, record.Filtered, b.reason(record.ReasonNoResponse), uint32(want-seen))
		return
	}
	silent.n += uint32(want - seen)
}

// rest empties the book at the end of a run: it returns the hosts left
// that are up, sorted by address, and how many hosts left never answered.
func (b *book) rest() (up []*hostEntry, silent int) {
	for _, h := range b.hosts {
		if h.up {
			up = append(up, h)
		} else {
			silent++
		}
	}
	clear(b.hosts)
	b.pending = 0
	slices.SortFunc(up, func(x, y *hostEntry) int { return x.addr.Compare(y.addr) })
	return up, silent
}

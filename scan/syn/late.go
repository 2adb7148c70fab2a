package syn

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/scan"
)

// answer is a checked reply, handed by the receiver to the probe it
// answers.
type answer struct {
	from netip.AddrPort
	heard
}

// heard is what an answer says, kept by the probe it settles (a worker's
// result) or by the late table, which know whom it is from: 16 bytes,
// where the answer with its address is 48.
type heard struct {
	at                 int64 // when it was read, on the prober's clock
	kind               replyKind
	icmpType, icmpCode uint8
	icmpV6             bool
	tag                uint8 // the tag of the SYN it answers (seqTag)
}

// outcome is the port's state the answer tells, sent the SYN it answers
// at sent.
func (a *heard) outcome(sent int64) scan.Outcome {
	rtt := max(time.Duration(a.at-sent), time.Nanosecond) // the clock is monotonic: never 0 for an answer
	switch a.kind {
	case replySynAck:
		return scan.Outcome{State: record.Open, Reason: record.ReasonSynAck, RTT: rtt}
	case replyReset:
		return scan.Outcome{State: record.Closed, Reason: record.ReasonReset, RTT: rtt}
	}
	r := scan.ICMPv4Reason(a.icmpType, a.icmpCode)
	if a.icmpV6 {
		r = scan.ICMPv6Reason(a.icmpType, a.icmpCode)
	}
	return scan.Outcome{State: record.Filtered, Reason: r, RTT: rtt}
}

// The low bits of a SYN's sequence number tag which try of its
// destination it is (the rest is the cookie). Each try goes out from its
// own source port (tryPort), and the tag tells the receiver which worker
// that port's answer is for; a late answer to an earlier try is told
// apart from the answer to the try under way, and its round-trip time is
// measured from the SYN it answers. Two bits cost the cookie little: 30
// are left to guess.
const (
	seqTagBits = 2
	seqTagMask = 1<<seqTagBits - 1
)

// lateTable keeps, for a while, the probes that gave up waiting, so that
// an answer that comes after its probe stopped waiting is not lost: it is
// kept there, and the next probe of the same port (the engine's retry)
// takes it instead of sending again. The table is a fixed array indexed
// by a hash of the destination: a newer probe's entry replaces an older
// one, so its size bounds what it holds whatever the scan's size, and an
// entry is used only for its own destination.
type lateTable struct {
	mu   [lateLocks]sync.Mutex // entry i is guarded by mu[i%lateLocks]
	e    [lateSize]lateEntry
	kept atomic.Int64 // entries holding an answer: take looks only when some do
}

const (
	// lateSize is the number of destinations remembered (1.2 MB).
	lateSize = 1 << 14
	// lateLocks stripes the table's locks: every probe looks in it.
	lateLocks = 64
	// lateKeep is how long a probe that gave up is remembered: a retry
	// comes at once unless a slow pace holds it back, and an answer
	// older than this says little of the port now.
	lateKeep = int64(3 * time.Second)
)

type lateEntry struct {
	dst     netip.AddrPort
	sent    int64 // when the SYN that went unanswered was sent
	expires int64
	has     bool // ans is set
	ans     heard
}

// gaveUp remembers that the probe of dst sent at sent gave up waiting at
// now.
func (t *lateTable) gaveUp(dst netip.AddrPort, sent, now int64) {
	i := lateIndex(dst)
	t.mu[i%lateLocks].Lock()
	if t.e[i].has {
		t.kept.Add(-1)
	}
	t.e[i] = lateEntry{dst: dst, sent: sent, expires: now + lateKeep}
	t.mu[i%lateLocks].Unlock()
}

// answered keeps a, an answer no probe waits for, when a probe of its
// port gave up a moment ago; it reports whether it did. The first answer
// is kept, a duplicate ignored.
func (t *lateTable) answered(a *answer) bool {
	i := lateIndex(a.from)
	e := &t.e[i]
	t.mu[i%lateLocks].Lock()
	defer t.mu[i%lateLocks].Unlock()
	if e.dst != a.from || e.has || a.at > e.expires {
		return false
	}
	e.ans, e.has = a.heard, true
	t.kept.Add(1)
	return true
}

// take returns, and forgets, an answer kept for dst, with when the try
// that gave up was sent: the answer's round-trip time counts from it (a
// lower bound, should the answer be to an earlier try still).
func (t *lateTable) take(dst netip.AddrPort, now int64) (heard, int64, bool) {
	if t.kept.Load() == 0 {
		return heard{}, 0, false
	}
	i := lateIndex(dst)
	e := &t.e[i]
	t.mu[i%lateLocks].Lock()
	defer t.mu[i%lateLocks].Unlock()
	if e.dst != dst || !e.has {
		return heard{}, 0, false
	}
	if now > e.expires {
		*e = lateEntry{}
		t.kept.Add(-1)
		return heard{}, 0, false
	}
	a, sent := e.ans, e.sent
	*e = lateEntry{}
	t.kept.Add(-1)
	return a, sent, true
}

// lateIndex is an FNV-1a hash of dst, reduced to the table.
func lateIndex(dst netip.AddrPort) uint32 {
	b := dst.Addr().As16()
	h := uint32(2166136261)
	for _, c := range b {
		h = (h ^ uint32(c)) * 16777619
	}
	h = (h ^ uint32(dst.Port()>>8)) * 16777619
	h = (h ^ uint32(dst.Port()&0xff)) * 16777619
	return h % lateSize
}

package udp

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"time"

	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/scan"
)

// Hosts limit the ICMP errors they send. Linux allows each peer a burst of
// six, then one every net.ipv4.icmp_ratelimit (1000 ms) for IPv4 and one
// every net.ipv6.icmp.ratelimit for IPv6 (100 ms since early 2026; 1000 ms
// before, shortened for wider routes: 250 ms to a /64 neighbour), and all
// peers together 1000 a second after a burst of 50 (net.ipv4.icmp_msgs_*).
// The BSDs and macOS allow some hundreds a second. A closed port probed
// past the limit is silent, and a UDP scan reports it open|filtered: on a
// Linux host scanned at full speed, nearly every closed port.
//
// A scan cannot see this in its own results, which look the same as a
// firewall that drops most ports. MeasureICMPLimit measures it: a caller
// that found a host with both closed and open|filtered UDP ports probes one
// of its closed ports again, and prints the Hint, which says how fast to
// rescan for the silent ports to mean something.

// ICMPLimit is what MeasureICMPLimit saw of a host's limit on ICMP errors.
type ICMPLimit struct {
	// Port is the closed port that was probed.
	Port netip.AddrPort
	// Probes were sent; Answered of them drew a port unreachable.
	Probes, Answered int
	// Burst is the answers before the first silence.
	Burst int
	// SilentAt is when, into the measurement, the first unanswered probe
	// was sent (0 if none was), LastAnswer when the last answer came, and
	// Elapsed the whole measurement.
	SilentAt, LastAnswer, Elapsed time.Duration
}

// Limited reports whether some probes went unanswered: the host limits
// (or loses) its ICMP errors at the rate probed.
func (l ICMPLimit) Limited() bool { return l.Answered < l.Probes }

// Rate estimates the limit: the answers a second that came after the
// burst, from the first silence to the last answer. It is 0 when nothing
// was limited, or no answer came after the burst.
func (l ICMPLimit) Rate() float64 {
	after := l.LastAnswer - l.SilentAt
	if !l.Limited() || l.Answered <= l.Burst || after <= 0 {
		return 0
	}
	return float64(l.Answered-l.Burst) / after.Seconds()
}

// Hint is a note for the user about a host with openFiltered silent UDP
// ports, or "" when the limit does not explain them.
func (l ICMPLimit) Hint(openFiltered int) string {
	if !l.Limited() || openFiltered <= 0 || l.Answered == 0 {
		return ""
	}
	host := l.Port.Addr()
	if r := l.Rate(); r > 0 {
		burst := ""
		if l.Burst > 0 {
			burst = fmt.Sprintf(" after a burst of %d", l.Burst)
		}
		return fmt.Sprintf("%v limits ICMP port unreachables to about %.1f a second%s: "+
			"many of its %d open|filtered UDP ports may be closed. Rescan them alone with --rate %d, "+
			"or read open|filtered as unknown.",
			host, r, burst, openFiltered, max(1, int(math.Floor(r))))
	}
	return fmt.Sprintf("%v sent %d ICMP port unreachables, then none in %v: "+
		"many of its %d open|filtered UDP ports may be closed; read open|filtered as unknown.",
		host, l.Answered, (l.Elapsed - l.SilentAt).Round(time.Millisecond), openFiltered)
}

// Bounds of one measurement.
const (
	maxLimitProbes = 64
	maxLimitBudget = 30 * time.Second
)

// ErrNotClosed is returned by MeasureICMPLimit when the port it was given
// answers other than closed.
var ErrNotClosed = errors.New("port is not closed")

// MeasureICMPLimit probes one closed UDP port of a host again and again,
// each probe waiting up to wait, for up to budget (at most 30 s) or 64
// probes, and counts the answers: those the host sends at once, then those
// it keeps up. wait should be a few round-trip times; the shorter it is,
// the closer the measurement comes to the rate limit.
//
// w is a worker of this package's Prober; closed a port the scan found
// closed.
func MeasureICMPLimit(ctx context.Context, w scan.Worker, closed netip.AddrPort, wait, budget time.Duration) (ICMPLimit, error) {
	l := ICMPLimit{Port: closed}
	if wait <= 0 || budget <= 0 {
		return l, fmt.Errorf("measuring the ICMP limit of %v: wait %v and budget %v must be positive", closed, wait, budget)
	}
	budget = min(budget, maxLimitBudget)
	start := time.Now()
	silent := false
	for l.Probes < maxLimitProbes && time.Since(start) < budget {
		sent := time.Since(start)
		out := w.Probe(ctx, closed, wait)
		switch {
		case out.Err != nil:
			return l, fmt.Errorf("measuring the ICMP limit of %v: %w", closed, out.Err)
		case out.NoAnswer:
			if !silent {
				silent, l.SilentAt = true, sent
			}
		case out.State == record.Closed:
			l.Answered++
			l.LastAnswer = time.Since(start)
			if !silent {
				l.Burst++
			}
		default:
			return l, fmt.Errorf("measuring the ICMP limit of %v: %v (%v): %w", closed, out.State, out.Reason, ErrNotClosed)
		}
		l.Probes++
	}
	l.Elapsed = time.Since(start)
	return l, nil
}

package watch

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"maps"
	"net/netip"
	"time"

	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/sockets"
)

// DefaultInterval is Local.Interval's default: a listener that opens is
// reported within about this long (a close at once, as root). A dump of
// 10,000 listening sockets costs about 13 ms of CPU (bench/watch.sh): at
// this interval, under 2 % of one core.
const DefaultInterval = 750 * time.Millisecond

// minDump is the shortest time between two dumps, however often the
// kernel wakes the watcher (a busy machine destroys sockets all the time).
const minDump = 50 * time.Millisecond

// Local watches the listening sockets of this machine, or of one network
// namespace.
type Local struct {
	// Options selects the sockets (Netns, protocols, families); All and
	// NoProcesses are ignored: only listening TCP and bound UDP sockets
	// are watched, with their processes.
	Options sockets.Options
	// Filter keeps some sockets (ports, process, exposed only).
	Filter sockets.Filter
	// Interval is the time between two dumps; 0 is DefaultInterval.
	Interval time.Duration
	// NoDestroy does not listen for the kernel's destroy notifications
	// (closes are then seen at the next dump only).
	NoDestroy bool
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// Ready, when set, is called once the first dump is taken: events
	// come from changes after it.
	Ready func(listening []record.Socket)
	// Dumped, when set, is called after each dump of the listening
	// sockets (from the watcher's goroutine) with the namespace watched
	// (Options.Netns) and the dump's time; listening is the sockets
	// listening then (filtered) after the first dump and each that
	// changed, nil after one that changed nothing.
	Dumped func(netns string, at time.Time, listening iter.Seq[record.Socket])
}

// key is what makes a socket the same socket from one dump to the next:
// not its pid or process (a daemon's workers change), but where it
// listens, and its inode (a restarted daemon listens on a new socket).
type key struct {
	proto  record.Proto
	local  netip.AddrPort
	device string
	inode  uint64
}

func keyOf(s *record.Socket) key {
	return key{proto: s.Proto, local: s.Local, device: s.Device, inode: s.Inode}
}

// Run watches until ctx ends, calling emit with each event, in the order
// they were seen (closes before opens within one dump). It returns ctx's
// error, or the first error of a dump or of emit.
func (l *Local) Run(ctx context.Context, emit func(Event) error) error {
	now := l.Now
	if now == nil {
		now = time.Now
	}
	interval := l.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	opts := l.Options
	opts.All, opts.NoProcesses = false, true
	p := &sockets.Poller{Options: opts} // the cheap dump: no /proc walk
	defer p.Close()
	known, err := l.baseline(ctx)
	if err != nil {
		return err
	}
	var kick <-chan struct{}
	if !l.NoDestroy {
		if d, err := subscribeDestroy(l.Options.Netns); err == nil {
			defer d.Close()
			kick = d.C
		}
	}
	if l.Ready != nil {
		l.Ready(sortedValues(known))
	}
	l.dumped(now(), known, true)
	t := time.NewTicker(interval)
	defer t.Stop()
	last := time.Time{}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		case <-kick:
			if d := time.Until(last.Add(minDump)); d > 0 {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(d):
				}
			}
		}
		last = time.Now()
		list, changed, err := p.Poll(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("watching sockets: %w", err)
		}
		at := now()
		if changed {
			if err := l.compare(ctx, known, list, at, emit); err != nil {
				return err
			}
		}
		l.dumped(at, known, changed)
	}
}

func (l *Local) dumped(at time.Time, known map[key]record.Socket, changed bool) {
	switch {
	case l.Dumped == nil:
	case changed:
		l.Dumped(l.Options.Netns, at, maps.Values(known))
	default:
		l.Dumped(l.Options.Netns, at, nil)
	}
}

// baseline is the first dump, with processes: what listens before any
// event.
func (l *Local) baseline(ctx context.Context) (map[key]record.Socket, error) {
	opts := l.Options
	opts.All, opts.NoProcesses = false, false
	snap, err := sockets.List(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("watching sockets: %w", err)
	}
	known := make(map[key]record.Socket, len(snap.Sockets))
	for _, s := range l.Filter.Apply(snap.Sockets) {
		known[keyOf(&s)] = s
	}
	return known, nil
}

// compare finds what closed and what opened between known and a new
// dump, emits it, and brings known up to date. The processes of new
// sockets come from one dump with processes, only when there are some.
func (l *Local) compare(ctx context.Context, known map[key]record.Socket, list []record.Socket, now time.Time, emit func(Event) error) error {
	seen := make(map[key]bool, len(list))
	var fresh []key
	for i := range list {
		k := keyOf(&list[i])
		seen[k] = true
		if _, ok := known[k]; !ok {
			fresh = append(fresh, k)
		}
	}
	for _, s := range sortedValues(known) {
		if k := keyOf(&s); !seen[k] {
			delete(known, k)
			if err := emit(eventOf(Closed, now, &s, l.Options.Netns)); err != nil {
				return err
			}
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	withProcs, err := l.withProcesses(ctx, list)
	if err != nil {
		return err
	}
	var opened []record.Socket
	for _, k := range fresh {
		s, ok := withProcs[k]
		if !ok || !l.Filter.Match(&s) {
			continue // gone again, or filtered out by process
		}
		known[k] = s
		opened = append(opened, s)
	}
	sockets.Sort(opened)
	for i := range opened {
		if err := emit(eventOf(Opened, now, &opened[i], l.Options.Netns)); err != nil {
			return err
		}
	}
	return nil
}

// withProcesses lists the sockets again with their processes, by key; a
// socket of list that closed in between keeps list's version (no pid).
func (l *Local) withProcesses(ctx context.Context, list []record.Socket) (map[key]record.Socket, error) {
	opts := l.Options
	opts.All, opts.NoProcesses = false, false
	snap, err := sockets.List(ctx, opts)
	if err != nil && !errors.Is(err, context.Canceled) {
		return nil, fmt.Errorf("watching sockets: %w", err)
	}
	out := make(map[key]record.Socket, len(list))
	for _, s := range list {
		out[keyOf(&s)] = s
	}
	for _, s := range snap.Sockets {
		if k := keyOf(&s); hasKey(out, k) {
			out[k] = s
		}
	}
	return out, err
}

func hasKey(m map[key]record.Socket, k key) bool {
	_, ok := m[k]
	return ok
}

func sortedValues(m map[key]record.Socket) []record.Socket {
	out := make([]record.Socket, 0, len(m))
	for _, s := range m {
		out = append(out, s)
	}
	sockets.Sort(out)
	return out
}

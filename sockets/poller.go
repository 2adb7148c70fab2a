package sockets

import (
	"context"
	"errors"
	"slices"

	"github.com/ajarsec/ajar/record"
)

// Poller lists this machine's sockets again and again, for a caller that
// watches them: each Poll says whether anything changed since the one
// before. The caller owns the loop and the clock; the Poller runs nothing
// of its own between calls.
//
// A Poller keeps its netlink socket open and reuses its buffers, so a Poll
// after the first allocates a small part of what List does (see
// BenchmarkPoll). Its zero value polls with the zero Options and Filter:
// the listening sockets, all of them. Set Options and Filter before the
// first Poll and leave them; Close it when done.
type Poller struct {
	// Options says which sockets to list, as for List.
	Options Options
	// Filter keeps some of them.
	Filter Filter

	l      *lister
	bufs   [2]snapBuf
	cur    int // the buffer of the last successful Poll
	polled bool
	hidden int
	closed bool
}

// ErrPollerClosed is returned by Poll after Close.
var ErrPollerClosed = errors.New("sockets: poller closed")

// Poll lists the sockets, sorted as List sorts them and filtered by
// p.Filter, and reports whether the list differs from the last Poll's in
// any field (the first Poll reports changed). The list is p's: it stays
// valid until the next Poll, which may reuse it; copy what you keep longer.
// On an error the last good list stays the one the next Poll compares
// with.
func (p *Poller) Poll(ctx context.Context) (list []record.Socket, changed bool, err error) {
	if p.closed {
		return nil, false, ErrPollerClosed
	}
	if p.l == nil {
		if err := p.Options.check(); err != nil {
			return nil, false, err
		}
		if p.l, err = newLister(p.Options); err != nil {
			return nil, false, err
		}
	}
	next := &p.bufs[1-p.cur]
	hidden, err := p.l.list(ctx, next)
	if err != nil {
		return nil, false, err
	}
	Sort(next.socks)
	next.socks = p.Filter.Apply(next.socks)
	prev := p.bufs[p.cur].socks
	changed = !p.polled || !slices.EqualFunc(prev, next.socks, equal)
	p.cur, p.polled, p.hidden = 1-p.cur, true, hidden
	return next.socks, changed, nil
}

// Hidden is the number of processes the last Poll could not read (see
// Snapshot.Hidden).
func (p *Poller) Hidden() int { return p.hidden }

// Close releases the Poller's netlink socket. Polls after Close fail.
func (p *Poller) Close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	if p.l == nil {
		return nil
	}
	return p.l.close()
}

// equal reports whether two sockets are the same in every field.
func equal(a, b record.Socket) bool {
	return a.Proto == b.Proto && a.Local == b.Local && a.Peer == b.Peer && a.State == b.State &&
		a.Inode == b.Inode && a.UID == b.UID && a.User == b.User &&
		a.PID == b.PID && a.Process == b.Process && a.Cmdline == b.Cmdline &&
		slices.Equal(a.Holders, b.Holders) && a.Device == b.Device && a.V6Only == b.V6Only &&
		a.Exposure == b.Exposure && slices.Equal(a.Interfaces, b.Interfaces)
}

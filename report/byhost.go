package report

import (
	"io"
	"slices"
	"time"

	"github.com/ajarsec/ajar/record"
)

// printer is the format of a writer that prints host by host: table, XML,
// grepable output. It writes to its byHost's out; byHost flushes.
type printer interface {
	// begin writes the document's head, from the byHost's info.
	begin()
	// up writes an up host, finished at end, its ports ready.
	up(h *hostEntry, end time.Time)
	// down writes a down host's record, where the format lists those.
	down(h *record.Host)
	// finish writes the document's tail.
	finish(t *tally, st *RunStats)
}

// byHost is a Writer that books ports per host and prints each host as
// its Host record comes (see Writer for the order it relies on), then
// forgets it. Hosts that get no Host record are printed at End, sorted
// by address. Each printed host is flushed to the io.Writer at once, so
// that a file being written holds every finished host.
type byHost struct {
	o      *out
	opts   Options
	info   RunInfo
	book   *book
	p      printer
	begun  bool
	ended  bool
	nUp    int
	nDown  int
	hostRT hostEntry // the entry of a ping sweep's host, reused
}

func (w *byHost) init(dst io.Writer, opts Options, p printer) {
	w.o = newOut(dst)
	w.opts = opts
	w.book = newBook(opts.AllPorts)
	w.p = p
}

func (w *byHost) Begin(ri RunInfo) error {
	if w.o.err != nil || w.begun {
		return w.o.err
	}
	w.begun = true
	w.info = ri
	w.p.begin()
	return w.o.flush()
}

func (w *byHost) Write(r record.Record) error {
	if w.o.err != nil {
		return w.o.err
	}
	if !w.begun {
		if err := w.Begin(RunInfo{}); err != nil {
			return err
		}
	}
	switch r := r.(type) {
	case *record.PortResult:
		w.book.add(r)
		return nil
	case *record.Host:
		return w.host(r)
	}
	return nil
}

func (w *byHost) host(h *record.Host) error {
	if w.info.PingOnly {
		if h.State != record.Up {
			w.nDown++
			w.p.down(h)
			return w.o.flush()
		}
		e := &w.hostRT
		*e = hostEntry{addr: h.Addr, counts: e.counts[:0], ports: e.ports[:0]}
		w.book.apply(e, h)
		w.nUp++
		w.p.up(e, w.opts.now())
		return w.o.flush()
	}
	e, f := w.book.host(h)
	switch f {
	case fateHeld:
		return nil
	case fateDown:
		w.nDown++
		w.p.down(h)
	case fateUp:
		w.book.ready(e, &w.info, true)
		w.nUp++
		w.up(e, w.opts.now())
	}
	return w.o.flush()
}

func (w *byHost) End(st RunStats) error {
	if w.o.err != nil || w.ended {
		return w.o.err
	}
	if !w.begun {
		if err := w.Begin(RunInfo{}); err != nil {
			return err
		}
	}
	w.ended = true
	ups, silent := w.book.rest()
	complete := !st.Interrupted
	for _, e := range ups {
		w.book.ready(e, &w.info, complete)
		w.nUp++
		w.up(e, st.End)
	}
	down := w.nDown
	if complete {
		down += silent // probed on every port, and silent
	}
	t := newTally(w.nUp, down, &st)
	w.p.finish(&t, &st)
	return w.o.flush()
}

// up prints an up host, unless OpenOnly leaves it out for want of an open
// port.
func (w *byHost) up(e *hostEntry, end time.Time) {
	if w.opts.OpenOnly && !slices.ContainsFunc(e.ports, func(p portRec) bool { return p.state == record.Open }) {
		return
	}
	w.p.up(e, end)
}

// reasonOf is the reason a booked port or count carries.
func (w *byHost) reasonOf(i uint8) record.Reason { return w.book.reasons[i] }

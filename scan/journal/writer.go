package journal

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/ajarsec/ajar/record"
)

// ErrLocked is what Create and Open return when another process holds the
// checkpoint: two scans must not append to one file.
var ErrLocked = errors.New("in use by another ajar")

// Writer appends a running scan's results and marks to its checkpoint.
// Record may be called from one goroutine while Commit runs on another.
type Writer struct {
	f     *os.File
	path  string
	all   bool
	total uint64

	mu      sync.Mutex
	buf     []byte    // lines Commit has not written yet
	spare   []byte    // the last buffer written, for reuse
	pending []pending // unlisted results below no mark yet
	counts  map[countKey]*countAgg
	counted time.Time // when counts were last written
	mark    uint64    // the last mark written
	err     error     // the first failure: nothing is written after it

	// CountEvery is how often Commit writes counts: 0 is
	// DefaultCountEvery. Set it before the first Commit.
	CountEvery time.Duration
}

// pending is an unlisted result at or past the last mark committed.
type pending struct {
	pos    uint64
	host   netip.Addr
	rtt    time.Duration
	reason record.Reason
	proto  record.Proto
	state  record.State
}

// countKey is what Count lines add up by.
type countKey struct {
	host   netip.Addr
	proto  record.Proto
	state  record.State
	reason record.Reason
}

// Create makes a new checkpoint at path with header h and locks it. It
// fails (wrapping os.ErrExist) if path exists: a checkpoint is resumed with
// Open, never overwritten.
func Create(path string, h Header) (*Writer, error) {
	if h.Total == 0 || len(h.Meta) == 0 {
		return nil, errors.New("journal: a header without total or meta")
	}
	line, err := json.Marshal(headerLine{Version: version, Header: h})
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if err := lock(f); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	return &Writer{f: f, path: path, all: h.All, total: h.Total}, nil
}

// Append continues the journal: it drops a torn last line, or counts left
// without their commit, and returns a writer that appends after the last
// line kept. The journal must not be used after.
func (j *Journal) Append() (*Writer, error) {
	if j.f == nil {
		return nil, errors.New("journal: appended to twice")
	}
	f := j.f
	j.f = nil
	if err := f.Truncate(j.end); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.Seek(j.end, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return &Writer{f: f, path: j.path, all: j.All, total: j.Total, mark: j.Mark}, nil
}

// Record notes the result at position pos: a listed result (open, or any
// with All) becomes a line at the next Commit; another is counted when a
// committed mark passes pos.
func (w *Writer) Record(pos uint64, r *record.PortResult) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return
	}
	if r.Proto != record.TCP && r.Proto != record.UDP || r.State == record.StateUnknown || int(r.State) >= 8 {
		w.err = fmt.Errorf("journal: a result of protocol %v, state %v", r.Proto, r.State)
		return
	}
	if !w.all && r.State != record.Open {
		w.pending = append(w.pending, pending{pos: pos, host: r.Host, rtt: r.RTT, reason: r.Reason, proto: r.Proto, state: r.State})
		return
	}
	buf, err := appendResult(w.buf, pos, r)
	if err != nil {
		w.err = fmt.Errorf("recording %v port %d: %w", r.Host, r.Port, err)
		return
	}
	w.buf = buf
}

// appendResult appends a result line: by hand, as this runs once a probe
// with All, and encoding/json takes several times longer.
func appendResult(b []byte, pos uint64, r *record.PortResult) ([]byte, error) {
	if !plain(string(r.Reason)) || r.Service != nil {
		rec := entry{K: &pos, Host: r.Host, Port: r.Port, Proto: r.Proto, State: r.State, Reason: r.Reason, RTT: r.RTT, Svc: r.Service}
		line, err := json.Marshal(&rec)
		return append(append(b, line...), '\n'), err
	}
	b = append(b, `{"k":`...)
	b = strconv.AppendUint(b, pos, 10)
	b = append(b, `,"host":"`...)
	b = r.Host.AppendTo(b)
	b = append(b, `","port":`...)
	b = strconv.AppendUint(b, uint64(r.Port), 10)
	b = append(b, `,"proto":"`...)
	b = append(b, r.Proto.String()...)
	b = append(b, `","state":"`...)
	b = append(b, r.State.String()...)
	b = append(b, '"')
	if r.Reason != "" {
		b = append(b, `,"reason":"`...)
		b = append(b, r.Reason...)
		b = append(b, '"')
	}
	if r.RTT > 0 {
		b = append(b, `,"rtt_ns":`...)
		b = strconv.AppendInt(b, int64(r.RTT), 10)
	}
	return append(b, "}\n"...), nil
}

// plain reports whether s needs no escaping in a JSON string.
func plain(s string) bool {
	for i := range len(s) {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// Commit writes what was recorded since the last commit, and a mark: the
// caller promises every position below mark was recorded (scan.Engine's
// Mark gives it). Unlisted results below mark are added to per-host
// counts, which are written at most every CountEvery (or when many hosts
// have some), or at once with flush: until then the mark written stays
// where the counts were last written, so that a scan killed in between
// probes those ports again rather than losing them. Commit must not run on
// two goroutines at once; after a failure it writes nothing more and
// returns the failure again.
func (w *Writer) Commit(mark uint64, flush bool) error {
	w.mu.Lock()
	if w.err != nil {
		defer w.mu.Unlock()
		return w.err
	}
	if mark > w.total {
		w.mu.Unlock()
		return fmt.Errorf("journal: mark %d past the scan's %d positions", mark, w.total)
	}
	mark = max(mark, w.mark)
	w.countBelow(mark)
	if w.counted.IsZero() {
		w.counted = time.Now() // counting starts
	}
	written := w.mark
	switch {
	case len(w.counts) == 0:
		written = mark // nothing to count: the mark may move at once
	case flush || len(w.counts) >= maxCountKeys || time.Since(w.counted) >= w.countEvery():
		var err error
		if w.buf, err = w.writeCounts(w.buf); err != nil {
			w.err = err
			w.mu.Unlock()
			return err
		}
		w.counted = time.Now()
		written = mark
	}
	if written == w.mark && len(w.buf) == 0 {
		w.mu.Unlock()
		return nil // nothing new
	}
	w.buf = fmt.Appendf(w.buf, "{\"mark\":%d}\n", written)
	w.mark = written
	data := w.buf
	w.buf = w.spare[:0]
	w.mu.Unlock()

	_, err := w.f.Write(data)

	w.mu.Lock()
	defer w.mu.Unlock()
	w.spare = data
	if err != nil {
		w.err = fmt.Errorf("writing checkpoint %s: %w", w.path, err)
	}
	return w.err
}

// DefaultCountEvery is how often Commit writes counts unless told.
const DefaultCountEvery = 10 * time.Second

// maxCountKeys is how many (host, protocol, state, reason) counts a
// writer gathers before it writes them, whatever the time.
const maxCountKeys = 1 << 18

func (w *Writer) countEvery() time.Duration {
	if w.CountEvery > 0 {
		return w.CountEvery
	}
	return DefaultCountEvery
}

// countAgg is the count of one countKey, and its fastest answer.
type countAgg struct {
	n   uint64
	rtt time.Duration
}

// countBelow adds the pending results below mark to the counts, and keeps
// the rest pending.
func (w *Writer) countBelow(mark uint64) {
	if w.counts == nil {
		w.counts = map[countKey]*countAgg{}
	}
	kept := w.pending[:0]
	for _, p := range w.pending {
		if p.pos >= mark {
			kept = append(kept, p)
			continue
		}
		k := countKey{host: p.host, proto: p.proto, state: p.state, reason: p.reason}
		a := w.counts[k]
		if a == nil {
			a = &countAgg{}
			w.counts[k] = a
		}
		a.n++
		if p.rtt > 0 && (a.rtt == 0 || p.rtt < a.rtt) {
			a.rtt = p.rtt
		}
	}
	clear(w.pending[len(kept):])
	w.pending = kept
	if len(w.pending) == 0 && cap(w.pending) > 1<<16 {
		w.pending = nil // a burst is over: give its memory back
	}
}

// writeCounts appends a count line for each count, and forgets them.
func (w *Writer) writeCounts(buf []byte) ([]byte, error) {
	for k, a := range w.counts {
		rec := entry{Count: a.n, Host: k.host, Proto: k.proto, State: k.state, Reason: k.reason, RTT: a.rtt}
		b, err := json.Marshal(&rec)
		if err != nil {
			return buf, fmt.Errorf("journal: counting %v: %w", k.host, err)
		}
		buf = append(append(buf, b...), '\n')
	}
	w.counts = nil // a new map: a large one's memory goes back
	return buf, nil
}

// Pending reports how many unlisted results wait for the mark to pass
// them.
func (w *Writer) Pending() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.pending)
}

// Close syncs and closes the file (after a last Commit, if the caller
// wants one), which stays for a later Open.
func (w *Writer) Close() error {
	err := w.f.Sync()
	return errors.Join(err, w.f.Close())
}

// Remove closes and deletes the file: the scan is complete.
func (w *Writer) Remove() error {
	err := w.f.Close()
	return errors.Join(err, os.Remove(w.path))
}

// Close releases a journal that was not appended to.
func (j *Journal) Close() error {
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	return err
}

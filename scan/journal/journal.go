// Package journal keeps the checkpoint file of a scan, so that a scan that
// was stopped, even killed with SIGKILL, can resume where it left off
// without losing a result or reporting one twice.
//
// The file is JSON Lines, only ever appended to while a scan runs:
//
//	{"ajar_checkpoint":1,"total":65535,"all":false,"meta":{...}}   the header
//	{"k":8123,"host":"192.0.2.1","port":22,"proto":"tcp","state":"open",...}
//	{"count":3,"host":"192.0.2.1","proto":"tcp","state":"closed",...}
//	{"mark":9000}
//
// A result line is one result the outputs list (open ports; every port with
// All) and its position k in the scan's order (see scan.Resume). Other
// results are only counted, per host, protocol, state and reason, as the
// outputs summarise them: count lines belong to the commit line that
// follows them, which says that every position below its mark is done. A
// result past the mark is kept as a count only when the mark passes it, so
// the unlisted probes past the last mark are the only ones a resumed scan
// sends again.
//
// Lines are written a commit at a time with one write(2), so a killed
// process leaves a prefix of what it wrote: a reader takes every complete
// line and drops a torn last one, and count lines left without their
// commit.
package journal

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"time"

	"github.com/ajarsec/ajar/record"
)

// version is the format's version, in the header line.
const version = 1

// Line lengths a reader accepts: the header holds the caller's metadata
// (a long target list, say); other lines one result.
const (
	maxHeaderLine = 64 << 20
	maxLine       = 1 << 20
)

// Header is the journal's first line.
type Header struct {
	// Total is the number of positions of the scan (Progress().Total).
	Total uint64 `json:"total"`
	// All is set when every result is listed one by one, not only open
	// ports (the outputs' --all-ports).
	All bool `json:"all"`
	// Meta is the caller's: what the scan is, to run it again.
	Meta json.RawMessage `json:"meta"`
}

// headerLine is the header as written.
type headerLine struct {
	Version int `json:"ajar_checkpoint"`
	Header
}

// entry is every other line; which fields are set says which kind.
type entry struct {
	K      *uint64         `json:"k,omitempty"`
	Count  uint64          `json:"count,omitempty"`
	Mark   *uint64         `json:"mark,omitempty"`
	Host   netip.Addr      `json:"host,omitzero"`
	Port   uint16          `json:"port,omitempty"`
	Proto  record.Proto    `json:"proto,omitzero"`
	State  record.State    `json:"state,omitzero"`
	Reason record.Reason   `json:"reason,omitempty"`
	RTT    time.Duration   `json:"rtt_ns,omitempty"`
	Svc    *record.Service `json:"service,omitempty"`
}

// Count is a number of results of one host that are not listed one by
// one: they share protocol, state and reason. RTT is the fastest answer
// among them (0 if none).
type Count struct {
	Host   netip.Addr
	Proto  record.Proto
	State  record.State
	Reason record.Reason
	RTT    time.Duration
	N      uint64
}

// ErrNotJournal is what Open wraps when a file is no checkpoint at all.
var ErrNotJournal = errors.New("not an ajar checkpoint")

// Journal is a checkpoint read back: what the scan was, how far it came.
type Journal struct {
	Header
	// Mark is the last mark committed: every position below it is done.
	Mark uint64
	// Results is how many results are listed, Open how many of them are
	// open.
	Results, Open uint64

	path string
	f    *os.File            // open and locked, until Append or Close
	end  int64               // offset past the last line kept
	past map[uint64]struct{} // positions of listed results at or past Mark
}

// Done reports whether position k at or past Mark was done: its result is
// in the journal. It suits scan.Resume.Done.
func (j *Journal) Done(k uint64) bool {
	_, ok := j.past[k]
	return ok
}

// Open reads and checks the checkpoint at path, and locks it until Append
// or Close. Any complete line that does not parse makes it fail, with the
// line number; a torn last line is dropped.
func Open(path string) (*Journal, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	if err := lock(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	j := &Journal{path: path, f: f, past: map[uint64]struct{}{}}
	if err := j.scan(f, nil, nil); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return j, nil
}

// Replay reads the journal again, up to the last line Open kept, and gives
// each listed result to result, and each committed count to count, in the
// order they were written. It stops at the first error either returns. It
// may be called after Append, before the writer commits.
func (j *Journal) Replay(result func(*record.PortResult) error, count func(Count) error) error {
	f, err := os.Open(j.path)
	if err != nil {
		return err
	}
	defer f.Close()
	again := &Journal{path: j.path, past: map[uint64]struct{}{}}
	if err := again.scan(io.LimitReader(f, j.end), result, count); err != nil {
		return fmt.Errorf("%s: %w", j.path, err)
	}
	if again.Mark != j.Mark || again.Results != j.Results {
		return fmt.Errorf("%s changed while ajar read it", j.path)
	}
	return nil
}

// scan reads the journal from r into j, calling result and count (when
// set) as Replay describes.
func (j *Journal) scan(r io.Reader, result func(*record.PortResult) error, count func(Count) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	line, err := readLine(br, maxHeaderLine)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%w: no header line", ErrNotJournal)
		}
		return fmt.Errorf("%w: %v", ErrNotJournal, err)
	}
	var h headerLine
	if err := json.Unmarshal(line, &h); err != nil || h.Version == 0 {
		return fmt.Errorf("%w: line 1 is no checkpoint header", ErrNotJournal)
	}
	if h.Version != version {
		return fmt.Errorf("checkpoint format %d: this ajar reads format %d", h.Version, version)
	}
	if h.Total == 0 || len(h.Meta) == 0 {
		return fmt.Errorf("line 1: a header without total or meta")
	}
	j.Header = h.Header
	j.end = int64(len(line))
	offset := j.end
	var counts []Count // the current commit's, not yet committed
	for n := 2; ; n++ {
		line, err := readLine(br, maxLine)
		if errors.Is(err, io.EOF) {
			return nil // a torn last line, if any, is dropped
		}
		if err != nil {
			return fmt.Errorf("line %d: %v", n, err)
		}
		offset += int64(len(line))
		var rec entry
		if err := json.Unmarshal(line, &rec); err != nil {
			return fmt.Errorf("line %d: %v", n, err)
		}
		switch {
		case rec.K != nil:
			res, err := j.result(&rec)
			if err != nil {
				return fmt.Errorf("line %d: %v", n, err)
			}
			if len(counts) > 0 {
				return fmt.Errorf("line %d: a result amid the counts of a commit", n)
			}
			if result != nil {
				if err := result(res); err != nil {
					return err
				}
			}
			j.end = offset
		case rec.Count > 0:
			c, err := j.count(&rec)
			if err != nil {
				return fmt.Errorf("line %d: %v", n, err)
			}
			counts = append(counts, c)
			if len(counts) > 1<<20 {
				return fmt.Errorf("line %d: too many counts in one commit", n)
			}
		case rec.Mark != nil:
			if err := j.commit(*rec.Mark, counts, count); err != nil {
				return fmt.Errorf("line %d: %w", n, err)
			}
			counts = counts[:0]
			j.end = offset
		default:
			return fmt.Errorf("line %d: neither a result, a count nor a mark", n)
		}
	}
}

// result checks a result line and notes its position.
func (j *Journal) result(rec *entry) (*record.PortResult, error) {
	k := *rec.K
	if k >= j.Total {
		return nil, fmt.Errorf("position %d past the scan's %d", k, j.Total)
	}
	if !rec.Host.IsValid() || rec.Port == 0 || rec.Proto == 0 || rec.State == record.StateUnknown || rec.RTT < 0 {
		return nil, errors.New("a result without host, port, protocol or state")
	}
	if !j.All && rec.State != record.Open {
		return nil, fmt.Errorf("a %v port listed in a checkpoint of open ports", rec.State)
	}
	if k >= j.Mark {
		if _, dup := j.past[k]; dup {
			return nil, fmt.Errorf("position %d recorded twice", k)
		}
		j.past[k] = struct{}{}
	}
	j.Results++
	if rec.State == record.Open {
		j.Open++
	}
	return &record.PortResult{
		Host: rec.Host, Port: rec.Port, Proto: rec.Proto, State: rec.State,
		Reason: rec.Reason, RTT: rec.RTT, Service: rec.Svc,
	}, nil
}

func (j *Journal) count(rec *entry) (Count, error) {
	if !rec.Host.IsValid() || rec.Proto == 0 || rec.State == record.StateUnknown || rec.RTT < 0 {
		return Count{}, errors.New("a count without host, protocol or state")
	}
	if j.All {
		return Count{}, errors.New("a count in a checkpoint that lists every port")
	}
	return Count{Host: rec.Host, Proto: rec.Proto, State: rec.State, Reason: rec.Reason, RTT: rec.RTT, N: rec.Count}, nil
}

// commit applies a commit line: its counts, then its mark.
func (j *Journal) commit(mark uint64, counts []Count, count func(Count) error) error {
	if mark < j.Mark || mark > j.Total {
		return fmt.Errorf("mark %d after mark %d, of %d positions", mark, j.Mark, j.Total)
	}
	if count != nil {
		for _, c := range counts {
			if err := count(c); err != nil {
				return err
			}
		}
	}
	if mark > j.Mark {
		j.Mark = mark
		for k := range j.past {
			if k < mark {
				delete(j.past, k)
			}
		}
	}
	return nil
}

// readLine reads one line, its newline included, of at most max bytes. A
// last line without its newline (torn by a kill) gives io.EOF.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > max {
			return nil, fmt.Errorf("a line longer than %d bytes", max)
		}
		switch {
		case err == nil:
			return line, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			return nil, io.EOF
		default:
			return nil, err
		}
	}
}

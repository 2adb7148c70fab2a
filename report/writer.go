package report

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/ajarsec/ajar/record"
)

// Writer writes a stream of records in one format. Begin is called once,
// then Write once per record, from one goroutine, then End, always, also
// after an interrupted scan: End leaves a complete, valid document. A
// Writer does not keep the records it is given. A record of a kind the
// format does not take (see FormatSpec.Kinds) is skipped.
//
// The stream's order (what run.Scan keeps): every host of a port scan
// gets one *record.Host; an up host's *record.PortResults all come before
// its Host record, which marks the host finished. A down host's record
// comes alone, at any time. Records of different hosts interleave. Ports
// of a host that gets no Host record (a stopped scan, a shard, ajar
// identify) are written at End.
//
// After an error from the underlying io.Writer every later call returns
// that error.
type Writer interface {
	Begin(RunInfo) error
	Write(record.Record) error
	End(RunStats) error
}

// Options tune a Writer. The zero value writes plain text and shows only
// open ports individually, summarising the rest, with the time of day
// from time.Now.
type Options struct {
	// Style is how a table looks.
	Style Style
	// AllPorts writes every probed port, not only open ones. Table, XML
	// and grepable output then keep a record per port of each host in
	// progress.
	AllPorts bool
	// OpenOnly leaves out the hosts that have no open port, as nmap's
	// --open does: the summary still counts them up. It is for scans
	// without AllPorts.
	OpenOnly bool
	// Findings makes CSV a row per audit finding (with its port's host,
	// port and service) instead of a row per port.
	Findings bool
	// Now is the clock of the times a host is finished at (XML's
	// endtime); nil is time.Now.
	Now func() time.Time
}

func (o *Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// RunInfo describes a scan, as known when it starts.
type RunInfo struct {
	// Args is the command line, program name first.
	Args []string
	// Start is when the scan started; times are written in its location.
	Start time.Time
	// ScanType is nmap's name for the technique: "connect", "syn", "udp".
	ScanType string
	// Protocols are the protocols probed; none means TCP.
	Protocols []record.Proto
	// Ports is the canonical port list, e.g. "1-65535".
	Ports string
	// NumPorts is how many ports each host is probed on, per protocol.
	NumPorts int
	// Scans, when set, describe each technique of a scan that runs
	// several (TCP connect on some ports, UDP on others), and take the
	// place of ScanType, Protocols, Ports and NumPorts.
	Scans []ScanInfo
	// Shards is how many shards the scan space is split in: 0 or 1 for a
	// whole scan. A sharded run probes only part of each host's ports.
	Shards int
	// PingOnly is set for a ping sweep (-sn): the stream holds Host
	// records only, and no technique is written.
	PingOnly bool
	// Version is ajar's version.
	Version string
}

// RunStats describes a scan, as known when it ends.
type RunStats struct {
	// End is when the scan ended.
	End time.Time
	// HostsTotal is the number of targets.
	HostsTotal int
	// HostsDone is the number of hosts finished: found down, or every
	// port probed. 0 means all of HostsTotal when the scan was not
	// interrupted. Hosts not done are neither up nor down: an interrupted
	// scan says "N of M IP addresses scanned". Writers count at least the
	// hosts whose records they saw finished.
	HostsDone int
	// Interrupted is set when the scan was stopped (Ctrl-C) before it
	// probed every port: the results are those found so far.
	Interrupted bool
}

// ScanInfo is one technique of a scan and the ports it probes, as nmap's
// <scaninfo> element says it.
type ScanInfo struct {
	Type     string // "connect", "syn", "udp"
	Proto    record.Proto
	Ports    string // canonical port list
	NumPorts int
}

// scans is ri.Scans, or the one technique the other fields describe (for
// each of its protocols; TCP when none is given); none for a ping sweep.
func (ri *RunInfo) scans() []ScanInfo {
	if ri.PingOnly {
		return nil
	}
	if len(ri.Scans) > 0 {
		return ri.Scans
	}
	protos := ri.Protocols
	if len(protos) == 0 {
		protos = []record.Proto{record.TCP}
	}
	out := make([]ScanInfo, len(protos))
	for i, p := range protos {
		out[i] = ScanInfo{Type: cmp.Or(ri.ScanType, "connect"), Proto: p, Ports: ri.Ports, NumPorts: ri.NumPorts}
	}
	return out
}

// numPorts is how many probes each host gets, every technique together.
func (ri *RunInfo) numPorts() uint64 {
	var n uint64
	for _, si := range ri.scans() {
		n += uint64(max(si.NumPorts, 0))
	}
	return n
}

// out is a writer's buffered output. It keeps the first error of the
// underlying io.Writer, which every later call of the writer returns.
type out struct {
	*bufio.Writer
	err error
}

func newOut(w io.Writer) *out { return &out{Writer: bufio.NewWriterSize(w, 64<<10)} }

// flush writes out what is buffered, and keeps its error.
func (o *out) flush() error {
	if o.err == nil {
		o.err = o.Writer.Flush()
	}
	return o.err
}

// keep records err, when it is the first; it returns the first error.
func (o *out) keep(err error) error {
	if o.err == nil {
		o.err = err
	}
	return o.err
}

// tally is what the closing lines say of the hosts.
type tally struct {
	up, down       int // hosts known up and down
	scanned, total int // hosts finished, and targets
	interrupted    bool
}

// newTally counts the hosts of a run: up and down are those the writer
// saw; the producer's HostsDone and HostsTotal raise them to what it
// knows. Of a finished scan, every target not up is down.
func newTally(up, down int, st *RunStats) tally {
	t := tally{up: up, interrupted: st.Interrupted}
	done := st.HostsDone
	if done == 0 && !st.Interrupted {
		done = st.HostsTotal
	}
	t.scanned = max(done, up+down)
	t.down = t.scanned - up
	t.total = max(st.HostsTotal, t.scanned)
	return t
}

// complete reports whether every target was scanned.
func (t *tally) complete() bool { return t.scanned >= t.total }

// scannedText is nmap's "4 IP addresses (2 hosts up) scanned", or, when
// not every target was, "2 of 4 IP addresses scanned (2 hosts up)".
func (t *tally) scannedText() string {
	if t.complete() {
		return hostsSummary(t.total, t.up) + " scanned"
	}
	addrs := "IP addresses"
	if t.total == 1 {
		addrs = "IP address"
	}
	return fmt.Sprintf("%d of %d %s scanned (%s up)", t.scanned, t.total, addrs, hostsUp(t.up))
}

// doneText ends the closing line: " in 1.23 seconds", or, of an
// interrupted run, ", interrupted after 1.23 seconds".
func (t *tally) doneText(secs string) string {
	if t.interrupted {
		return ", interrupted after " + secs + " seconds"
	}
	return " in " + secs + " seconds"
}

// hostsSummary is nmap's "2 IP addresses (1 host up)".
func hostsSummary(total, up int) string {
	addrs := "IP addresses"
	if total == 1 {
		addrs = "IP address"
	}
	return fmt.Sprintf("%d %s (%s up)", total, addrs, hostsUp(up))
}

func hostsUp(n int) string {
	if n == 1 {
		return "1 host"
	}
	return fmt.Sprintf("%d hosts", n)
}

// elapsed is the run time in seconds with two decimals, as nmap writes it.
func elapsed(ri *RunInfo, st *RunStats) string {
	d := st.End.Sub(ri.Start)
	if ri.Start.IsZero() || st.End.IsZero() || d < 0 {
		d = 0
	}
	return fmt.Sprintf("%.2f", d.Seconds())
}

// MultiWriter writes to every writer, in order, like io.MultiWriter. A
// writer that fails is left out of later Begin and Write calls, so one
// broken file does not stop the others, but End is called on all; errors
// are joined.
func MultiWriter(ws ...Writer) Writer {
	return &multiWriter{ws: ws, failed: make([]bool, len(ws))}
}

type multiWriter struct {
	ws     []Writer
	failed []bool
}

func (m *multiWriter) each(f func(Writer) error) error {
	var errs []error
	for i, w := range m.ws {
		if m.failed[i] {
			continue
		}
		if err := f(w); err != nil {
			m.failed[i] = true
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (m *multiWriter) Begin(ri RunInfo) error {
	return m.each(func(w Writer) error { return w.Begin(ri) })
}

func (m *multiWriter) Write(r record.Record) error {
	return m.each(func(w Writer) error { return w.Write(r) })
}

func (m *multiWriter) End(st RunStats) error {
	var errs []error
	for _, w := range m.ws {
		if err := w.End(st); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Synchronized makes w safe for use from several goroutines: each call
// runs alone.
func Synchronized(w Writer) Writer { return &syncWriter{w: w} }

type syncWriter struct {
	mu sync.Mutex
	w  Writer
}

func (s *syncWriter) Begin(ri RunInfo) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Begin(ri)
}

func (s *syncWriter) Write(r record.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(r)
}

func (s *syncWriter) End(st RunStats) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.End(st)
}

package report

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ajarsec/ajar/record"
)

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
	// Version is ajar's version.
	Version string
}

// RunStats describes a scan, as known when it ends.
type RunStats struct {
	// End is when the scan ended.
	End time.Time
	// HostsTotal is the number of hosts scanned. Writers report at least
	// the number of hosts they saw answer.
	HostsTotal int
	// Interrupted is set when the scan was stopped (Ctrl-C) before it
	// probed every port: the results are those found so far.
	Interrupted bool
}

// ResultWriter writes a stream of scan results in one format. Begin is
// called once, then Write once per probed port, from one goroutine and in
// no particular host order, then End, always, also after an interrupted
// scan: End leaves a complete, valid document. A ResultWriter does not keep
// the *record.PortResult it is given.
//
// After an error from the underlying io.Writer every later call returns
// that error.
type ResultWriter interface {
	Begin(RunInfo) error
	Write(*record.PortResult) error
	End(RunStats) error
}

// ResultOptions tune a ResultWriter. The zero value writes plain text and
// shows only open ports individually, summarising the rest.
type ResultOptions struct {
	// Style is how a table looks.
	Style Style
	// AllPorts writes every probed port, not only open ones. Table and XML
	// then keep a record per port of every host that answered: memory
	// grows with the scan.
	AllPorts bool
}

// NewResultWriter makes a writer of scan results in format f to w. Table
// and XML write everything at End (results arrive interleaved across
// hosts, and both print host by host); JSON, JSON Lines and CSV write as
// results arrive, JSON Lines flushing every line.
//
// Memory stays bounded: without AllPorts no writer keeps a closed or
// filtered port, and table and XML keep per-host counters only for hosts
// that answered (and for up to maxPending others).
func NewResultWriter(f Format, w io.Writer, opts ResultOptions) (ResultWriter, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	switch f {
	case Table:
		return &tableWriter{bookUser: bookUser{book: newBook(opts.AllPorts)}, w: bw, style: opts.Style}, nil
	case XML:
		return &xmlWriter{bookUser: bookUser{book: newBook(opts.AllPorts)}, w: bw}, nil
	case JSON:
		return &jsonWriter{w: bw, all: opts.AllPorts, array: true}, nil
	case JSONL:
		return &jsonWriter{w: bw, all: opts.AllPorts}, nil
	case CSV:
		return newCSVWriter(bw, opts.AllPorts), nil
	}
	return nil, fmt.Errorf("unknown output format %q for scan results", f)
}

// listed reports whether a result is written on its own line without
// AllPorts. Only open ports are: closed and filtered ports, and the bulk
// states of other techniques (open|filtered from UDP silence, unfiltered
// from ACK resets), are counted per host and summarised, as nmap
// summarises them, so that memory and output stay bounded on every host
// of a large scan.
func listed(s record.State) bool { return s == record.Open }

// answered reports whether a state means the host itself replied, which
// makes it "up".
func answered(s record.State) bool {
	return s == record.Open || s == record.Closed || s == record.Unfiltered
}

// MultiWriter writes to every writer, in order, like io.MultiWriter. A
// writer that fails is left out of later Begin and Write calls, so one
// broken file does not stop the others, but End is called on all; errors
// are joined.
//
// Table and XML writers given to MultiWriter before their first Write
// share what they keep per host; they must then be used only through it.
func MultiWriter(ws ...ResultWriter) ResultWriter {
	books := shareBooks(ws)
	return &multiWriter{ws: ws, failed: make([]bool, len(ws)), books: books}
}

type multiWriter struct {
	ws     []ResultWriter
	failed []bool
	books  []*book // shared by several writers, added to here
}

func (m *multiWriter) each(f func(ResultWriter) error) error {
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
	return m.each(func(w ResultWriter) error { return w.Begin(ri) })
}

func (m *multiWriter) Write(r *record.PortResult) error {
	for _, b := range m.books {
		b.add(r)
	}
	return m.each(func(w ResultWriter) error { return w.Write(r) })
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

// ParseSave parses a --save argument, FORMAT:PATH, such as
// "xml:scan.xml". The path may itself hold colons.
func ParseSave(s string) (Format, string, error) {
	name, path, ok := strings.Cut(s, ":")
	if !ok || path == "" {
		return "", "", fmt.Errorf("--save %q: want FORMAT:PATH, such as xml:scan.xml", s)
	}
	f, err := ParseScanFormat(name)
	if err != nil {
		return "", "", fmt.Errorf("--save %q: %w", s, err)
	}
	return f, path, nil
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
// each of its protocols; TCP when none is given).
func (ri *RunInfo) scans() []ScanInfo {
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

// hostsSummary is nmap's "2 IP addresses (1 host up)".
func hostsSummary(total, up int) string {
	addrs := "IP addresses"
	if total == 1 {
		addrs = "IP address"
	}
	hosts := "hosts"
	if up == 1 {
		hosts = "host"
	}
	return fmt.Sprintf("%d %s (%d %s up)", total, addrs, up, hosts)
}

// elapsed is the run time in seconds with two decimals, as nmap writes it.
func elapsed(ri *RunInfo, st *RunStats) string {
	d := st.End.Sub(ri.Start)
	if ri.Start.IsZero() || st.End.IsZero() || d < 0 {
		d = 0
	}
	return fmt.Sprintf("%.2f", d.Seconds())
}

package watch

import (
	"cmp"
	"fmt"
	"io"
	"iter"
	"math"
	"net/http"
	"net/netip"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ajarsec/ajar/record"
)

// ScanBuckets are the upper bounds, in seconds, of the scan duration
// histogram's buckets: a scan of a few ports takes under a second, a
// network's full scan an hour.
var ScanBuckets = []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600}

// Metrics is what a watch has seen, served to Prometheus in its text
// exposition format (version 0.0.4): the ports open now (for a local
// watch, by protocol and exposure; for rescans, by host and protocol),
// the events sent, by kind, the last rescan's audit findings by severity,
// the scans' durations and the time of the last one, and the process's
// CPU, memory and goroutines. Its methods may be called from any
// goroutine. The zero value is not usable: see NewMetrics.
type Metrics struct {
	mu       sync.Mutex
	started  time.Time
	audit    bool
	local    map[string]map[localKey]int // by namespace
	hosts    map[hostKey]int
	findings [record.Critical + 1]int
	events   map[string]uint64
	scans    uint64
	last     time.Time
	buckets  []uint64 // per ScanBuckets, not cumulative; one more for +Inf
	sum      float64
}

type localKey struct {
	proto    record.Proto
	exposure record.Exposure
}

type hostKey struct {
	host  netip.Addr
	proto record.Proto
}

// NewMetrics makes the metrics of a watch started now; audit says that
// its rescans judge risks (findings by severity are served only then).
func NewMetrics(audit bool) *Metrics {
	return &Metrics{started: time.Now(), audit: audit, local: map[string]map[localKey]int{},
		hosts: map[hostKey]int{}, events: map[string]uint64{}, buckets: make([]uint64, len(ScanBuckets)+1)}
}

// Event counts an event sent: an Event's kind, or a ScanEvent's change.
func (m *Metrics) Event(e any) {
	var kind string
	switch e := e.(type) {
	case Event:
		kind = e.Event
	case ScanEvent:
		kind = e.Change.Kind
	default:
		return
	}
	m.mu.Lock()
	m.events[kind]++
	m.mu.Unlock()
}

// Dumped is Local.Dumped: it counts a dump of namespace netns's listening
// sockets at, and when listening is not nil, takes them as the ports open
// there now.
func (m *Metrics) Dumped(netns string, at time.Time, listening iter.Seq[record.Socket]) {
	var counts map[localKey]int
	if listening != nil {
		counts = map[localKey]int{}
		for s := range listening {
			counts[localKey{s.Proto, s.Exposure}]++
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.scans++
	m.last = at
	if listening != nil {
		m.local[netns] = counts
	}
}

// Tally counts one rescan's open ports and findings as its records come.
// Its zero value is ready.
type Tally struct {
	open     map[hostKey]int
	findings [record.Critical + 1]int
}

// Add counts a record: an open port, and its findings.
func (t *Tally) Add(r record.Record) {
	p, ok := r.(*record.PortResult)
	if !ok || p.State != record.Open {
		return
	}
	if t.open == nil {
		t.open = map[hostKey]int{}
	}
	t.open[hostKey{p.Host, p.Proto}]++
	for _, f := range p.Findings {
		if int(f.Severity) < len(t.findings) {
			t.findings[f.Severity]++
		}
	}
}

// Scanned takes a finished rescan's tally as what is open now, and its
// duration into the histogram.
func (m *Metrics) Scanned(t *Tally, start, end time.Time) {
	d := end.Sub(start).Seconds()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hosts = t.open
	if m.hosts == nil {
		m.hosts = map[hostKey]int{}
	}
	m.findings = t.findings
	m.scans++
	m.last = end
	m.sum += d
	i, _ := slices.BinarySearch(ScanBuckets, d) // the first bound >= d
	m.buckets[i]++
}

// ServeHTTP serves the metrics in the text exposition format.
func (m *Metrics) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	m.WriteTo(w)
}

// WriteTo writes the metrics in Prometheus's text exposition format.
func (m *Metrics) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	m.mu.Lock()
	m.writeWatch(&b)
	m.mu.Unlock()
	writeProcess(&b, m.started)
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

func (m *Metrics) writeWatch(b *strings.Builder) {
	head(b, "ajar_watch_open_ports", "gauge", "Ports open now: a local watch's listening sockets, or the last rescan's open ports.")
	local := map[localKey]int{}
	for _, ns := range m.local {
		for k, n := range ns {
			local[k] += n
		}
	}
	for _, k := range sortedKeys(local, func(a, b localKey) int {
		return cmp.Or(cmp.Compare(a.proto, b.proto), cmp.Compare(a.exposure, b.exposure))
	}) {
		sample(b, "ajar_watch_open_ports", float64(local[k]), "proto", k.proto.String(), "exposure", k.exposure.String())
	}
	for _, k := range sortedKeys(m.hosts, func(a, b hostKey) int {
		return cmp.Or(a.host.Compare(b.host), cmp.Compare(a.proto, b.proto))
	}) {
		sample(b, "ajar_watch_open_ports", float64(m.hosts[k]), "host", k.host.String(), "proto", k.proto.String())
	}
	head(b, "ajar_watch_events_total", "counter", "Events sent, by kind: opened, closed, or a rescan's change.")
	for _, k := range sortedKeys(m.events, strings.Compare) {
		sample(b, "ajar_watch_events_total", float64(m.events[k]), "kind", k)
	}
	if m.audit {
		head(b, "ajar_watch_findings", "gauge", "The last rescan's audit findings, by severity.")
		for s := record.Info; s <= record.Critical; s++ {
			sample(b, "ajar_watch_findings", float64(m.findings[s]), "severity", s.String())
		}
	}
	head(b, "ajar_watch_scans_total", "counter", "Scans done: dumps of the listening sockets, or rescans.")
	sample(b, "ajar_watch_scans_total", float64(m.scans))
	if !m.last.IsZero() {
		head(b, "ajar_watch_last_scan_timestamp_seconds", "gauge", "When the last scan ended, in seconds since 1970.")
		sample(b, "ajar_watch_last_scan_timestamp_seconds", unixSeconds(m.last))
	}
	head(b, "ajar_watch_scan_duration_seconds", "histogram", "How long each rescan took.")
	var n uint64
	for i, c := range m.buckets {
		n += c
		le := "+Inf"
		if i < len(ScanBuckets) {
			le = formatFloat(ScanBuckets[i])
		}
		sample(b, "ajar_watch_scan_duration_seconds_bucket", float64(n), "le", le)
	}
	sample(b, "ajar_watch_scan_duration_seconds_sum", m.sum)
	sample(b, "ajar_watch_scan_duration_seconds_count", float64(n))
}

// writeProcess writes the process's basics, as Prometheus's own clients
// name them.
func writeProcess(b *strings.Builder, started time.Time) {
	head(b, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.")
	sample(b, "process_start_time_seconds", unixSeconds(started))
	if cpu, ok := processCPU(); ok {
		head(b, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.")
		sample(b, "process_cpu_seconds_total", cpu.Seconds())
	}
	if rss, ok := processRSS(); ok {
		head(b, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.")
		sample(b, "process_resident_memory_bytes", float64(rss))
	}
	head(b, "go_goroutines", "gauge", "Number of goroutines that currently exist.")
	sample(b, "go_goroutines", float64(runtime.NumGoroutine()))
}

func head(b *strings.Builder, name, typ, help string) {
	fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s %s\n", name, escapeHelp(help), name, typ)
}

// sample writes one line: name{k="v",...} value. labels are pairs.
func sample(b *strings.Builder, name string, v float64, labels ...string) {
	b.WriteString(name)
	for i := 0; i+1 < len(labels); i += 2 {
		sep := byte(',')
		if i == 0 {
			sep = '{'
		}
		b.WriteByte(sep)
		b.WriteString(labels[i])
		b.WriteString(`="`)
		b.WriteString(escapeLabel(labels[i+1]))
		b.WriteByte('"')
	}
	if len(labels) > 0 {
		b.WriteByte('}')
	}
	b.WriteByte(' ')
	b.WriteString(formatFloat(v))
	b.WriteByte('\n')
}

// escapeLabel escapes a label value: backslash, double quote, newline.
func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

// escapeHelp escapes a HELP line: backslash and newline.
func escapeHelp(s string) string { return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(s) }

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

func sortedKeys[K comparable, V any](m map[K]V, cmp func(a, b K) int) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, cmp)
	return keys
}

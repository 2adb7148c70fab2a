package watch_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ajarsec/ajar/diff"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/run"
	"github.com/ajarsec/ajar/target"
	"github.com/ajarsec/ajar/watch"
)

// events is a watch.Sink that keeps what it is sent.
type events struct {
	mu  sync.Mutex
	got []watch.ScanEvent
}

func (e *events) Send(v any) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.got = append(e.got, v.(watch.ScanEvent))
	return nil
}

func (e *events) Close(context.Context) error { return nil }

// counting is a run.Sink that counts the port records it passes on.
type counting struct {
	run.Sink
	ports *int
}

func (c counting) Write(r record.Record) error {
	if _, ok := r.(*record.PortResult); ok {
		*c.ports++
	}
	return c.Sink.Write(r)
}

func listenTCP(t *testing.T, addr string) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func portOf(l net.Listener) uint16 { return uint16(l.Addr().(*net.TCPAddr).Port) }

func rescanConfig(t *testing.T, ports ...uint16) run.Config {
	t.Helper()
	var list []string
	for _, p := range ports {
		list = append(list, strconv.Itoa(int(p)))
	}
	spec, err := portspec.ParseSpec(strings.Join(list, ","), portspec.TCP)
	if err != nil {
		t.Fatal(err)
	}
	lo := netip.MustParseAddr("127.0.0.1")
	return run.Config{Targets: target.SetOf(target.Range{From: lo, To: lo}), Ports: spec, TCP: run.Connect}
}

// TestRescans: three rounds of a connect scan of three ports of this
// namespace's 127.0.0.1. Between the first two one listener closes and
// another opens: the second round sends those two changes, the third
// none. Every round goes through Tee and is told to Done, in order.
func TestRescans(t *testing.T) {
	kept := listenTCP(t, "127.0.0.1:0")
	closing := listenTCP(t, "127.0.0.1:0")
	free := listenTCP(t, "127.0.0.1:0")
	opening := portOf(free)
	free.Close() // nothing else listens in this namespace: it stays free
	sink := &events{}
	var done []int
	teePorts := 0
	w := watch.Rescans{
		Every: 50 * time.Millisecond, Rounds: 3,
		Tee: func(s run.Sink) run.Sink { return counting{s, &teePorts} },
		Done: func(r watch.Round) {
			done = append(done, r.N)
			if r.Scan == nil || r.Tally == nil || !r.End.After(r.Start) {
				t.Errorf("round %d: %+v", r.N, r)
			}
			if r.N == 1 {
				closing.Close()
				listenTCP(t, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), opening).String())
			}
		},
	}
	if err := w.Run(t.Context(), rescanConfig(t, portOf(kept), portOf(closing), opening), sink); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(done, []int{1, 2, 3}) {
		t.Errorf("Done told of rounds %v, want 1 2 3", done)
	}
	if teePorts != 9 {
		t.Errorf("Tee passed on %d port records, want 3 rounds × 3", teePorts)
	}
	type change struct {
		round         int
		port          uint16
		kind          string
		before, after string
	}
	var got []change
	for _, e := range sink.got {
		got = append(got, change{e.Round, e.Change.Port, e.Change.Kind, e.Change.Before, e.Change.After})
	}
	want := []change{
		{2, opening, diff.Opened, "closed", "open"},
		{2, portOf(closing), diff.Closed, "open", "closed"},
	}
	slices.SortFunc(got, func(a, b change) int { return int(a.port) - int(b.port) })
	slices.SortFunc(want, func(a, b change) int { return int(a.port) - int(b.port) })
	if !slices.Equal(got, want) {
		t.Errorf("changes %+v, want %+v", got, want)
	}
}

// TestRescansStop: with no last round the rescans run until ctx ends,
// also while waiting for the next round; an interval of zero is refused.
func TestRescansStop(t *testing.T) {
	l := listenTCP(t, "127.0.0.1:0")
	ctx, cancel := context.WithCancel(t.Context())
	w := watch.Rescans{Every: time.Hour, Done: func(watch.Round) { cancel() }}
	start := time.Now()
	if err := w.Run(ctx, rescanConfig(t, portOf(l)), &events{}); !errors.Is(err, context.Canceled) {
		t.Errorf("stopped rescans: %v, want context.Canceled", err)
	}
	if took := time.Since(start); took > time.Minute {
		t.Errorf("stopped rescans returned after %v", took)
	}
	if err := (watch.Rescans{}).Run(t.Context(), rescanConfig(t, portOf(l)), &events{}); err == nil {
		t.Error("rescans every 0s: no error")
	}
}

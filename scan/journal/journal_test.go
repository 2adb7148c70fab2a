package journal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ajarsec/ajar/record"
)

var meta = json.RawMessage(`{"args":["192.0.2.1"]}`)

func res(host string, port uint16, st record.State) *record.PortResult {
	r := &record.PortResult{Host: netip.MustParseAddr(host), Port: port, Proto: record.TCP, State: st, RTT: time.Duration(port) * time.Microsecond}
	switch st {
	case record.Open:
		r.Reason = record.ReasonConnected
	case record.Closed:
		r.Reason = record.ReasonConnRefused
	default:
		r.Reason = record.ReasonNoResponse
	}
	return r
}

// replayed is what Replay gave.
type replayed struct {
	results []string // "host:port/state"
	counts  map[string]uint64
}

func replay(t *testing.T, j *Journal) replayed {
	t.Helper()
	got := replayed{counts: map[string]uint64{}}
	err := j.Replay(func(r *record.PortResult) error {
		got.results = append(got.results, fmt.Sprintf("%v:%d/%v", r.Host, r.Port, r.State))
		return nil
	}, func(c Count) error {
		got.counts[fmt.Sprintf("%v/%v/%v", c.Host, c.State, c.Reason)] += c.N
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got.results)
	return got
}

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scan.ckpt")
	w, err := Create(path, Header{Total: 100, Meta: meta})
	if err != nil {
		t.Fatal(err)
	}
	w.Record(0, res("192.0.2.1", 22, record.Open))
	w.Record(1, res("192.0.2.1", 23, record.Closed))
	w.Record(3, res("192.0.2.1", 25, record.Closed)) // past the mark: pending
	w.Record(4, res("192.0.2.1", 80, record.Open))   // past the mark: listed
	w.Record(2, res("192.0.2.2", 24, record.Filtered))
	if err := w.Commit(3, true); err != nil {
		t.Fatal(err)
	}
	if w.Pending() != 1 {
		t.Errorf("%d pending, want the one past the mark", w.Pending())
	}
	// A second writer cannot take the file, nor can a new one be made.
	if _, err := Open(path); !errors.Is(err, ErrLocked) {
		t.Errorf("Open of a file in use: %v", err)
	}
	if _, err := Create(path, Header{Total: 100, Meta: meta}); !errors.Is(err, os.ErrExist) {
		t.Errorf("Create over a checkpoint: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	j, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if j.Mark != 3 || j.Results != 2 || j.Open != 2 || j.Total != 100 || j.All || !bytes.Equal(j.Meta, meta) {
		t.Errorf("journal: mark %d, %d results, %d open, total %d, all %v, meta %s", j.Mark, j.Results, j.Open, j.Total, j.All, j.Meta)
	}
	// Position 4 is done past the mark; 3 (closed, only pending) is not.
	for k, want := range map[uint64]bool{0: false, 3: false, 4: true, 5: false} {
		if j.Done(k) != want {
			t.Errorf("Done(%d) = %v", k, !want)
		}
	}
	got := replay(t, j)
	if want := []string{"192.0.2.1:22/open", "192.0.2.1:80/open"}; !slices.Equal(got.results, want) {
		t.Errorf("results %v, want %v", got.results, want)
	}
	if want := map[string]uint64{"192.0.2.1/closed/conn-refused": 1, "192.0.2.2/filtered/no-response": 1}; fmt.Sprint(got.counts) != fmt.Sprint(want) {
		t.Errorf("counts %v, want %v", got.counts, want)
	}

	// Resume: append, finish the scan, and read it all back.
	w, err = j.Append()
	if err != nil {
		t.Fatal(err)
	}
	w.Record(3, res("192.0.2.1", 25, record.Closed))
	for k := uint64(5); k < 100; k++ {
		w.Record(k, res("192.0.2.3", uint16(k), record.Closed))
	}
	if err := w.Commit(100, true); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(100, true); err != nil { // nothing new: nothing written
		t.Fatal(err)
	}
	w.Close()
	j, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	got = replay(t, j)
	if j.Mark != 100 || len(got.results) != 2 || got.counts["192.0.2.1/closed/conn-refused"] != 2 || got.counts["192.0.2.3/closed/conn-refused"] != 95 {
		t.Errorf("after resuming: mark %d, %v %v", j.Mark, got.results, got.counts)
	}
	if b, _ := os.ReadFile(path); bytes.Count(b, []byte(`"mark"`)) != 2 {
		t.Errorf("want two commits in the file:\n%s", b)
	}
}

// A kill leaves a prefix of a commit: the complete results in it count,
// its counts without their mark do not, and a torn line is dropped. Append
// cuts all that off before going on.
func TestTornTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scan.ckpt")
	w, err := Create(path, Header{Total: 10, Meta: meta})
	if err != nil {
		t.Fatal(err)
	}
	w.Record(0, res("192.0.2.1", 1, record.Closed))
	w.Record(1, res("192.0.2.1", 2, record.Open))
	w.Commit(2, true)
	w.Close()
	good, _ := os.ReadFile(path)
	tails := []string{
		`{"k":5,"host":"192.0.2.1","port":6,"proto":"tcp","state":"open","reason":"connected"}` + "\n" +
			`{"count":3,"host":"192.0.2.1","proto":"tcp","state":"closed","reason":"conn-refused"}` + "\n" + `{"ma`,
		`{"k":5,"host":"192.0.2.1","port":6,"proto":"tcp","state":"open","reason":"connected"}` + "\n" + `{"k":6,"ho`,
	}
	for _, tail := range tails {
		if err := os.WriteFile(path, append(slices.Clone(good), tail...), 0o600); err != nil {
			t.Fatal(err)
		}
		j, err := Open(path)
		if err != nil {
			t.Fatalf("torn tail %q: %v", tail, err)
		}
		got := replay(t, j)
		if j.Mark != 2 || len(got.results) != 2 || !j.Done(5) || got.counts["192.0.2.1/closed/conn-refused"] != 1 {
			t.Errorf("torn tail %q: mark %d, %v, %v", tail, j.Mark, got.results, got.counts)
		}
		w, err := j.Append()
		if err != nil {
			t.Fatal(err)
		}
		w.Record(2, res("192.0.2.1", 3, record.Closed))
		w.Commit(3, true)
		w.Close()
		j, err = Open(path)
		if err != nil {
			t.Fatalf("after appending to a torn file: %v", err)
		}
		got = replay(t, j)
		j.Close()
		if j.Mark != 3 || len(got.results) != 2 || !j.Done(5) || got.counts["192.0.2.1/closed/conn-refused"] != 2 {
			t.Errorf("after appending: mark %d, %v, %v", j.Mark, got.results, got.counts)
		}
	}
}

func TestCorrupt(t *testing.T) {
	header := `{"ajar_checkpoint":1,"total":10,"all":false,"meta":{}}` + "\n"
	result := func(k int, state string) string {
		return fmt.Sprintf(`{"k":%d,"host":"192.0.2.1","port":%d,"proto":"tcp","state":%q}`+"\n", k, k+1, state)
	}
	for _, tc := range []struct{ name, body, want string }{
		{"empty", "", "not an ajar checkpoint: no header line"},
		{"text", "hello\nworld\n", "not an ajar checkpoint: line 1"},
		{"json", `{"a":1}` + "\n", "not an ajar checkpoint: line 1"},
		{"future", `{"ajar_checkpoint":9,"total":10,"meta":{}}` + "\n", "checkpoint format 9"},
		{"no total", `{"ajar_checkpoint":1,"meta":{}}` + "\n", "without total"},
		{"garbage line", header + result(0, "open") + "garbage\n", "line 3"},
		{"unknown line", header + `{"x":1}` + "\n", "line 2: neither"},
		{"past total", header + result(10, "open"), "position 10 past"},
		{"bad state", header + result(1, "ajar"), "unknown port state"},
		{"closed listed", header + result(1, "closed"), "closed port listed"},
		{"twice", header + result(1, "open") + result(1, "open"), "position 1 recorded twice"},
		{"mark back", header + `{"mark":5}` + "\n" + `{"mark":4}` + "\n", "line 3: mark 4 after mark 5"},
		{"mark past", header + `{"mark":11}` + "\n", "mark 11"},
		{"result in counts", header + `{"count":1,"host":"192.0.2.1","proto":"tcp","state":"closed"}` + "\n" + result(1, "open"), "amid the counts"},
		{"long line", header + strings.Repeat("x", maxLine+1) + "\n", "longer than"},
	} {
		path := filepath.Join(t.TempDir(), "c")
		if err := os.WriteFile(path, []byte(tc.body), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Open(path)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.want)
		}
		if err != nil && !strings.HasPrefix(err.Error(), path+": ") {
			t.Errorf("%s: error %q does not name the file", tc.name, err)
		}
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// With All, every result is a line of its own, and nothing is pending.
func TestAll(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scan.ckpt")
	w, err := Create(path, Header{Total: 4, All: true, Meta: meta})
	if err != nil {
		t.Fatal(err)
	}
	for k, st := range []record.State{record.Open, record.Closed, record.Filtered} {
		w.Record(uint64(k), res("2001:db8::1", uint16(k+1), st))
	}
	odd := res("2001:db8::1", 9, record.Open)
	odd.Reason, odd.Service = `a "quoted" reason`, &record.Service{Name: "ssh", Banner: "SSH-2.0-x\r\n"}
	w.Record(3, odd)
	w.Commit(1, true)
	if w.Pending() != 0 {
		t.Errorf("%d pending with All", w.Pending())
	}
	w.Close()
	j, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	got := replay(t, j)
	if len(got.results) != 4 || len(got.counts) != 0 || !j.Done(2) || !j.Done(3) || j.Open != 2 {
		t.Errorf("%v %v", got.results, got.counts)
	}
	var back []record.PortResult
	j.Replay(func(r *record.PortResult) error { back = append(back, *r); return nil }, nil)
	if len(back) != 4 || back[1].RTT != 2*time.Microsecond || back[1].Reason != record.ReasonConnRefused ||
		back[3].Reason != odd.Reason || back[3].Service == nil || back[3].Service.Banner != odd.Service.Banner {
		t.Errorf("replayed %+v", back)
	}
}

// FuzzOpen: no input makes Open or Replay panic, and what Open accepts
// Replay reads the same.
func FuzzOpen(f *testing.F) {
	header := `{"ajar_checkpoint":1,"total":10,"all":false,"meta":{}}` + "\n"
	f.Add([]byte(header + `{"k":1,"host":"192.0.2.1","port":2,"proto":"tcp","state":"open"}` + "\n" + `{"mark":2}` + "\n"))
	f.Add([]byte(header + `{"count":4,"host":"::1","proto":"udp","state":"open|filtered"}` + "\n" + `{"mark":9}` + "\n{"))
	f.Add([]byte("{\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "c")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		j, err := Open(path)
		if err != nil {
			return
		}
		defer j.Close()
		n := uint64(0)
		if err := j.Replay(func(*record.PortResult) error { n++; return nil }, func(Count) error { return nil }); err != nil {
			t.Fatalf("Open took it, Replay did not: %v", err)
		}
		if n != j.Results {
			t.Errorf("replayed %d results, Open counted %d", n, j.Results)
		}
	})
}

// Counts are written every CountEvery: until then the mark written stays
// where they were last written, though result lines go out at once.
func TestCountsDeferred(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scan.ckpt")
	w, err := Create(path, Header{Total: 10, Meta: meta})
	if err != nil {
		t.Fatal(err)
	}
	w.CountEvery = time.Hour
	w.Record(0, res("192.0.2.1", 1, record.Open))
	if err := w.Commit(1, false); err != nil { // nothing to count: the mark moves
		t.Fatal(err)
	}
	w.Record(1, res("192.0.2.1", 2, record.Closed))
	w.Record(2, res("192.0.2.1", 3, record.Open))
	if err := w.Commit(3, false); err != nil {
		t.Fatal(err)
	}
	if m := readMark(t, path); m.Mark != 1 || m.Results != 2 || !m.Done(2) {
		t.Errorf("deferred counts: mark %d, %d results", m.Mark, m.Results)
	}
	if err := w.Commit(3, true); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if m := readMark(t, path); m.Mark != 3 || replay(t, m).counts["192.0.2.1/closed/conn-refused"] != 1 {
		t.Errorf("flushed: mark %d", m.Mark)
	}
}

// readMark opens the journal at path while its writer holds it, from a
// copy.
func readMark(t *testing.T, path string) *Journal {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(t.TempDir(), "copy")
	os.WriteFile(cp, b, 0o600)
	j, err := Open(cp)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

// BenchmarkRecord records results (every one listed, as with All, or only
// counted) and commits every 4096, as a fast scan does each second.
func BenchmarkRecord(b *testing.B) {
	for _, all := range []bool{true, false} {
		b.Run(fmt.Sprintf("all=%v", all), func(b *testing.B) {
			w, err := Create(filepath.Join(b.TempDir(), "c"), Header{Total: 1 << 62, All: all, Meta: meta})
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close()
			r := res("192.0.2.1", 443, record.Closed)
			b.ReportAllocs()
			for i := range uint64(b.N) {
				w.Record(i, r)
				if i%4096 == 4095 {
					w.Commit(i-100, false)
				}
			}
		})
	}
}

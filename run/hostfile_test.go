package run

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/target"
)

func testGroups() *groupScan {
	a, b := netip.MustParseAddr("192.0.2.0"), netip.MustParseAddr("192.0.2.9")
	return &groupScan{all: target.SetOf(target.Range{From: a, To: b}), size: 4, np: 3}
}

// TestHostFileRoundTrip saves groups' records and reads them back, with a
// torn last line dropped.
func TestHostFileRoundTrip(t *testing.T) {
	gs := testGroups()
	ckpt := filepath.Join(t.TempDir(), "scan.ckpt")
	hf, err := createHostFile(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	recs := []*groupRecord{
		{g: 0, up: []record.Host{{Addr: netip.MustParseAddr("192.0.2.1"), State: record.Up, Reason: record.ReasonARPResponse, MAC: record.MAC{2, 0, 0, 0, 0, 1}}},
			downWhy: map[netip.Addr]record.Reason{netip.MustParseAddr("192.0.2.3"): record.ReasonHostUnreach}},
		{g: 2, up: []record.Host{{Addr: netip.MustParseAddr("192.0.2.8"), State: record.Up, Reason: record.ReasonEchoReply}}},
	}
	for _, r := range recs {
		if err := hf.save(r); err != nil {
			t.Fatal(err)
		}
	}
	hf.close()
	torn, err := os.OpenFile(ckpt+hostFileSuffix, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	torn.WriteString(`{"g":3,"up":[`) // a kill mid-write: no newline
	torn.Close()
	var got []*groupRecord
	if _, err := readHostFile(ckpt+hostFileSuffix, gs, func(r *groupRecord) error { got = append(got, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].up[0].MAC != recs[0].up[0].MAC || got[0].downWhy[netip.MustParseAddr("192.0.2.3")] != record.ReasonHostUnreach ||
		got[1].g != 2 || got[1].up[0].Addr != recs[1].up[0].Addr {
		t.Errorf("read back %+v", got)
	}
}

// TestHostLineRefused: records out of order, outside their group, or of
// hosts that are not targets are refused.
func TestHostLineRefused(t *testing.T) {
	gs := testGroups()
	for _, line := range []string{
		`{"g":1,"up":[]}` + "\n",                                                                                 // before next
		`{"g":3,"up":[]}` + "\n",                                                                                 // past the last group
		`{"g":2,"up":[{"a":"192.0.2.1"}]}` + "\n",                                                                // not in group 2
		`{"g":2,"up":[{"a":"192.0.2.9"},{"a":"192.0.2.8"}]}` + "\n",                                              // out of order
		`{"g":2,"up":[{"a":"192.0.2.8","rtt_ns":-1}]}` + "\n",                                                    // negative RTT
		`{"g":2,"up":[{"a":"192.0.2.8"}],"down":[{"a":"198.51.100.1"}]}` + "\n",                                  // not a target
		`{"g":2,"up":[{"a":"192.0.2.8"},{"a":"192.0.2.9"}],"down":[{"a":"192.0.2.9"},{"a":"192.0.2.8"}]}` + "\n", // more hosts than the group
		`not json` + "\n",
	} {
		if _, err := gs.parseHostLine([]byte(line), 2); err == nil {
			t.Errorf("%s accepted", line)
		}
	}
}

// FuzzHostLine: whatever the line, a record it gives holds hosts of its
// group only, up hosts in order, and nothing panics.
func FuzzHostLine(f *testing.F) {
	f.Add([]byte(`{"g":0,"up":[{"a":"192.0.2.1","r":"arp-response","rtt_ns":41000,"mac":"02:00:00:00:00:01"}],"down":[{"a":"192.0.2.3","r":"host-unreach"}]}`), uint64(0))
	f.Add([]byte(`{"g":2,"up":[]}`), uint64(1))
	gs := testGroups()
	f.Fuzz(func(t *testing.T, line []byte, next uint64) {
		rec, err := gs.parseHostLine(line, next)
		if err != nil {
			return
		}
		v := gs.view(rec.g)
		for i, h := range rec.up {
			if !gs.all.Contains(h.Addr) || h.Addr.Compare(v.At(0)) < 0 || h.Addr.Compare(v.At(v.n-1)) > 0 {
				t.Fatalf("up host %v outside group %d", h.Addr, rec.g)
			}
			if i > 0 && h.Addr.Compare(rec.up[i-1].Addr) <= 0 {
				t.Fatalf("up hosts out of order")
			}
		}
		for a := range rec.downWhy {
			if !gs.all.Contains(a) {
				t.Fatalf("down host %v not a target", a)
			}
		}
	})
}

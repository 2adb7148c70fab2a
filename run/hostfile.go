package run

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"time"

	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/scan/journal"
)

// The host file of a checkpoint (FILE.hosts, next to FILE) keeps what
// discovery found in each host group of a scan in groups: one JSON line
// a group, appended with one write(2) when the group's discovery ends and
// before any of its ports is probed, so that the checkpoint's positions
// in a group always have the group's live hosts saved. A torn last line
// (a kill mid-write) is dropped: that group had no probe yet.
//
//	{"g":0,"up":[{"a":"10.0.0.2","r":"arp-response","rtt_ns":41000,"mac":"02:..."}],"down":[{"a":"10.0.0.9","r":"host-unreach"}]}

// hostFileSuffix names the host file after its checkpoint.
const hostFileSuffix = ".hosts"

// maxHostLine bounds a line of the host file: a group of MaxHostGroup
// hosts, each up with a long reason.
const maxHostLine = MaxHostGroup * 256

type savedHost struct {
	A   netip.Addr    `json:"a"`
	R   string        `json:"r,omitempty"`
	RTT time.Duration `json:"rtt_ns,omitempty"`
	MAC record.MAC    `json:"mac,omitzero"`
}

type hostLine struct {
	G    uint64      `json:"g"`
	Up   []savedHost `json:"up"`
	Down []savedHost `json:"down,omitempty"`
}

// hostFile appends group records to a checkpoint's host file.
type hostFile struct{ *journal.Lines }

// createHostFile makes the host file of a new checkpoint.
func createHostFile(ckpt string) (*hostFile, error) {
	l, err := journal.CreateLines(ckpt + hostFileSuffix)
	if err != nil {
		return nil, err
	}
	return &hostFile{l}, nil
}

// save appends a group's record.
func (hf *hostFile) save(rec *groupRecord) error {
	l := hostLine{G: rec.g, Up: make([]savedHost, len(rec.up))}
	for i, h := range rec.up {
		l.Up[i] = savedHost{A: h.Addr, R: string(h.Reason), RTT: h.RTT, MAC: h.MAC}
	}
	for a, why := range rec.downWhy {
		l.Down = append(l.Down, savedHost{A: a, R: string(why)})
	}
	b, err := json.Marshal(&l)
	if err != nil {
		return err
	}
	return hf.Append(b)
}

func (hf *hostFile) close() error {
	if hf == nil {
		return nil
	}
	return hf.Close()
}

func (hf *hostFile) remove() error {
	if hf == nil {
		return nil
	}
	return hf.Remove()
}

// readHostFile reads the host file of a checkpoint, checking each record
// against gs: fn gets every record, in order. It returns the offset past
// the last whole line.
func readHostFile(path string, gs *groupScan, fn func(*groupRecord) error) (int64, error) {
	next := uint64(0)
	end, err := journal.ReadLines(path, maxHostLine, func(n int, line []byte) error {
		rec, err := gs.parseHostLine(line, next)
		if err != nil {
			return fmt.Errorf("line %d: %v", n, err)
		}
		next = rec.g + 1
		return fn(rec)
	})
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return end, nil
}

// parseHostLine checks a record: a group after the last, of this scan,
// its hosts in the group, up ones in order and once.
func (gs *groupScan) parseHostLine(line []byte, next uint64) (*groupRecord, error) {
	var l hostLine
	if err := json.Unmarshal(line, &l); err != nil {
		return nil, err
	}
	if l.G < next || l.G >= gs.groups() {
		return nil, fmt.Errorf("host group %d out of order or past the scan's %d", l.G, gs.groups())
	}
	v := gs.view(l.G)
	first, last := v.At(0), v.At(v.n-1)
	in := func(a netip.Addr) bool {
		return a.IsValid() && first.Compare(a) <= 0 && a.Compare(last) <= 0 && gs.all.Contains(a)
	}
	if uint64(len(l.Up)+len(l.Down)) > v.n {
		return nil, fmt.Errorf("host group %d: more hosts than its %d", l.G, v.n)
	}
	rec := &groupRecord{g: l.G, up: make([]record.Host, len(l.Up))}
	for i, h := range l.Up {
		if !in(h.A) || i > 0 && h.A.Compare(l.Up[i-1].A) <= 0 || h.RTT < 0 {
			return nil, fmt.Errorf("host group %d: bad up host %v", l.G, h.A)
		}
		rec.up[i] = record.Host{Addr: h.A, Name: gs.all.Name(h.A), State: record.Up, Reason: record.Reason(h.R), RTT: h.RTT, MAC: h.MAC}
	}
	for _, h := range l.Down {
		if !in(h.A) {
			return nil, fmt.Errorf("host group %d: bad down host %v", l.G, h.A)
		}
		if rec.downWhy == nil {
			rec.downWhy = map[netip.Addr]record.Reason{}
		}
		rec.downWhy[h.A] = record.Reason(h.R)
	}
	return rec, nil
}

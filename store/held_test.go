package store_test

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/store"
)

// TestHeldPortsWrittenEarly: a scan of several hosts at once, in random
// order, with more non-open ports than the sink holds for hosts not yet
// finished (a quarter million): their ranges are written part by part, and
// the run still reads back every port once, in its state, with each
// host's record after its ports.
func TestHeldPortsWrittenEarly(t *testing.T) {
	st, dir := openTemp(t)
	const hosts, ports = 6, 60000 // 360,000 non-open ports in flight
	addr := func(h int) netip.Addr { return netip.AddrFrom4([4]byte{192, 0, 2, byte(10 + h)}) }
	state := func(h, p int) (record.State, record.Reason) {
		if (h+p)%3 == 0 {
			return record.Filtered, record.ReasonNoResponse
		}
		return record.Closed, record.ReasonReset
	}
	order := make([]int, hosts*ports)
	for i := range order {
		order[i] = i
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	var recs []record.Record
	for _, i := range order {
		h, p := i/ports, i%ports+1
		s, r := state(h, p)
		recs = append(recs, &record.PortResult{Host: addr(h), Port: uint16(p), Proto: record.TCP, State: s, Reason: r})
	}
	for h := range hosts {
		recs = append(recs, &record.Host{Addr: addr(h), State: record.Up, Reason: record.ReasonUserSet})
	}
	id := writeRun(t, st, recs, false)
	// Written early: more than a row per host and kind of port.
	db, err := sql.Open("sqlite", filepath.Join(dir, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows int
	if err := db.QueryRow(`SELECT count(*) FROM port_ranges WHERE run_id = ?`, id).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows <= 2*hosts {
		t.Errorf("%d range rows: the ranges of hosts not finished were held to the end", rows)
	}

	seen := map[string]bool{}
	hostSeen := map[netip.Addr]bool{}
	for _, r := range readRun(t, st, id) {
		switch r := r.(type) {
		case *record.PortResult:
			h := int(r.Host.As4()[3]) - 10
			key := fmt.Sprintf("%v:%d", r.Host, r.Port)
			if s, why := state(h, int(r.Port)); seen[key] || hostSeen[r.Host] || r.State != s || r.Reason != why {
				t.Fatalf("port %s: %v/%v (seen before: %v, after its host: %v), want %v/%v",
					key, r.State, r.Reason, seen[key], hostSeen[r.Host], s, why)
			}
			seen[key] = true
		case *record.Host:
			hostSeen[r.Addr] = true
		}
	}
	if len(seen) != hosts*ports || len(hostSeen) != hosts {
		t.Errorf("read back %d ports of %d hosts, want %d of %d", len(seen), len(hostSeen), hosts*ports, hosts)
	}
}

package run

import (
	"time"

	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/scan"
)

// Sink takes what a scan finds. Scan calls Begin once, when it knows what
// it will probe and before any record; then Write with each record, one
// call at a time (never concurrently); then End, always after Begin, also
// when the scan was stopped. An error from the sink stops nothing: Scan
// finishes the scan and returns the first such error.
//
// The stream keeps one order a writer can rely on: every host of a port
// scan gets one *record.Host; an up host's *record.PortResults all come
// before its Host record, which marks it finished. A down host's record
// comes alone, at any time. Records of different hosts interleave. Hosts
// of a stopped scan that were not finished get no Host record; nor do
// the hosts of a shard (a shard probes only part of each host).
type Sink interface {
	Begin(Info) error
	Write(record.Record) error
	End(Summary) error
}

// Info is what a scan will do, as known when it starts.
type Info struct {
	Start time.Time
	// Scans are its techniques and the ports each probes.
	Scans []ScanInfo
	// Hosts is the number of targets.
	Hosts uint64
	// Shards is the number of shards of the probes (0 or 1: all).
	Shards uint64
	// PingOnly is set for a ping sweep: host records only.
	PingOnly bool
	// Progress reports how far the scan is: done and total in its unit
	// (probes, or hosts for a scan in host groups), and the open ports
	// found so far. It may be called at any time from any goroutine,
	// until End returns.
	Progress func() (done, total, open uint64) `json:"-"`
	// Identifying, when set, reports how many ports are being
	// identified: after the last probe, the scan goes on while it is
	// not 0.
	Identifying func() int `json:"-"`
}

// ScanInfo is one technique of a scan and the ports it probes, as nmap's
// <scaninfo> says it.
type ScanInfo struct {
	Type     string // "connect", "syn", "udp"
	Proto    record.Proto
	Ports    string // canonical port list
	NumPorts int
}

// Summary is what a scan did, as known when it ends.
type Summary struct {
	End time.Time
	// Hosts is the number of targets; HostsDone those finished: found
	// down, or every port probed. They differ only when the scan was
	// stopped, and then hosts not done are neither up nor down.
	Hosts, HostsDone uint64
	// Up and Down count the hosts that discovery found up and down (0
	// and 0 without discovery).
	Up, Down uint64
	// Interrupted is set when the scan was stopped (the context was
	// cancelled) before it finished.
	Interrupted bool
	// Pace is what the pacer saw.
	Pace scan.PaceStats
}

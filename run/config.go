// Package run is ajar's scan pipeline as a library: Scan takes a Config
// (what to scan, how fast, what to learn of each open port) and streams
// what it finds, as records, to a Sink. It does everything `ajar scan`
// does: host discovery in host groups running one group ahead of the
// port scan, the techniques' plans (TCP SYN or connect, UDP), naming open
// ports from the port table, service identification, and checkpoints to
// resume a stopped scan. The CLI, a server and an agent all start a scan
// the same way: run.Scan.
//
// A scan opens its sockets on goroutines of its own, on whatever OS thread
// runs them: to scan from inside a network namespace, run the whole
// process there (ip netns exec), never one thread of it (setns). A scan
// started from a thread moved into a namespace sends its probes from the
// process's namespace, to wherever its routes go.
package run

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/ajarsec/ajar/discover"
	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/target"
	"github.com/ajarsec/ajar/target/perm"
)

// ErrConfig marks an error in a Config: the scan asked for cannot be
// made (a caller's mistake, exit code 2 for the CLI), as opposed to one
// met while scanning.
var ErrConfig = errors.New("bad scan configuration")

func configErrorf(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, a...))
}

// TCPTechnique is how TCP ports are probed.
type TCPTechnique string

// The TCP techniques.
const (
	// Auto is a SYN scan when this process may open raw sockets (root,
	// CAP_NET_RAW), else a connect scan; Scan notes which it picked.
	Auto    TCPTechnique = ""
	SYN     TCPTechnique = "syn"     // raw SYNs: nmap's -sS
	Connect TCPTechnique = "connect" // connect(): nmap's -sT
)

// DefaultHostGroup is Config.HostGroup's default: discovery keeps up to
// 4096 hosts waiting at once (discover.DefaultMaxParallel), so a group
// fills it once; a group's port scan spreads its probes over that many
// hosts; and a group costs little memory.
const DefaultHostGroup = 4096

// MaxHostGroup bounds Config.HostGroup, which bounds a group's record in
// a checkpoint's host file.
const MaxHostGroup = 1 << 16

// Config is a scan: what Scan does, and what a checkpoint keeps to do the
// rest of it. The zero value of each field but Targets and Ports is the
// default of `ajar scan`.
type Config struct {
	// Targets are the hosts to scan, resolved and with exclusions taken
	// out (target.Resolve, Set.Exclude). A checkpoint keeps them as
	// resolved, so that DNS answers changed since cannot move a probe.
	Targets target.Set `json:"-"`
	// Ports are the ports to scan, per protocol.
	Ports portspec.Spec `json:"ports"`
	// TCP is the TCP technique, when Ports has TCP ports.
	TCP TCPTechnique `json:"tcp,omitempty"`
	// Seed orders the probes: the same seed, the same order. 0 picks
	// one: for a shard, one derived from the scan itself (targets and
	// ports), so that the shards of one scan, run apart, share one order
	// and add up to the whole scan; else a random one.
	Seed uint64 `json:"seed,omitempty"`
	// Shard, when set, scans only shard I of N of the probes, in one
	// probe order over every target (no host discovery).
	Shard perm.Shard `json:"shard,omitzero"`
	// Discovery finds which hosts are up before their ports are scanned
	// (only when the targets hold more than one address); nil scans
	// every target as up (nmap's -Pn).
	Discovery *discover.Config `json:"discovery,omitempty"`
	// PingOnly runs discovery alone (nmap's -sn): host records, no port.
	PingOnly bool `json:"ping_only,omitempty"`
	// HostGroup is how many addresses (in target order) are discovered
	// and port-scanned together: 0 is DefaultHostGroup.
	HostGroup int `json:"host_group,omitempty"`
	// Pace is how fast the probes go.
	Pace Pace `json:"pace"`
	// HostTimeout, when set, bounds the port scan of each host (nmap's
	// --host-timeout): from its first probe on, a host gets no new probe
	// after this long. Its Host record then says how many of its probes
	// were never sent (Host.Unprobed); the ports probed are reported as
	// usual. Discovery and identification are not counted. Not with
	// Shard, whose single probe order over every target has no host
	// groups.
	HostTimeout time.Duration `json:"host_timeout,omitempty"`
	// Identify, when set, names the service and version behind each open
	// port (nmap's -sV); nil leaves the port table's guess.
	Identify *Identify `json:"identify,omitempty"`
	// Audit, when set, judges the risks behind each identified port
	// (`ajar scan --audit`): each port's record carries its findings. It
	// implies Identify.
	Audit *AuditConfig `json:"audit,omitempty"`
	// AllPorts streams every probed port; without it, closed and
	// filtered ports are only counted in a checkpoint. The sink gets
	// every port either way.
	AllPorts bool `json:"all_ports,omitempty"`
	// Checkpoint, when set, is a new file where the scan keeps its
	// progress, to resume it after a stop or a crash (see Resume).
	Checkpoint string `json:"-"`
	// Resume, when set, is the checkpoint of a stopped scan to go on
	// with (OpenCheckpoint); Scan then takes the rest of the scan from
	// it and appends to it.
	Resume *Checkpoint `json:"-"`
	// Events hears of what happens besides records.
	Events Events `json:"-"`
	// Caller is the caller's own, kept with the scan in a checkpoint and
	// given back by OpenCheckpoint (the CLI keeps its outputs there).
	Caller json.RawMessage `json:"caller,omitempty"`
}

// Pace is how fast a scan goes: the scan engine's pace settings.
type Pace struct {
	// Rate fixes the probes sent a second; 0 adapts the rate to the
	// path, within MinRate and MaxRate.
	Rate    float64 `json:"rate,omitempty"`
	MinRate float64 `json:"min_rate,omitempty"`
	MaxRate float64 `json:"max_rate,omitempty"`
	// MaxParallel bounds the probes in flight; 0: as many as open files
	// allow.
	MaxParallel int `json:"max_parallel,omitempty"`
	// Retries is how many more times a silent port is probed: 0 is the
	// default (once more), -1 none.
	Retries int `json:"retries,omitempty"`
	// The waits for an answer: 0 takes the engine's defaults.
	MinTimeout     time.Duration `json:"min_timeout,omitempty"`
	MaxTimeout     time.Duration `json:"max_timeout,omitempty"`
	InitialTimeout time.Duration `json:"initial_timeout,omitempty"`
}

// Identify is how open ports have their service identified: the
// fingerprint package's budgets (zero: its defaults), and how many ports
// at once.
type Identify struct {
	// Timeout is the whole budget of one port.
	Timeout time.Duration `json:"timeout,omitempty"`
	// ProbeTimeout bounds one protocol's exchange.
	ProbeTimeout time.Duration `json:"probe_timeout,omitempty"`
	// BannerWait is how long a connection waits for the server to speak
	// first.
	BannerWait time.Duration `json:"banner_wait,omitempty"`
	// Parallel is how many ports are identified at once: 0 is 64.
	Parallel int `json:"parallel,omitempty"`
}

// fingerprint is the identification config of id.
func (id *Identify) fingerprint() fingerprint.Config {
	return fingerprint.Config{Timeout: id.Timeout, ProbeTimeout: id.ProbeTimeout, BannerWait: id.BannerWait,
		// One limiter for the whole scan: a few UDP probes in flight
		// to each host, across all its ports.
		UDPLimiter: fingerprint.NewUDPLimiter(fingerprint.DefaultUDPPerHost)}
}

// DefaultIdentifyParallel is Identify.Parallel's default.
const DefaultIdentifyParallel = 64

// Events are the hooks through which Scan tells its caller what is not a
// record. Each may be nil. They are called from Scan's goroutines, one at
// a time.
type Events struct {
	// Note hears what a person running the scan should know: the TCP
	// technique picked by default, discovery's probes, how far the rate
	// backed off, where a checkpoint can be resumed. Warnings start with
	// "warning: ", remarks with "note: ".
	Note func(msg string)
	// Status hears passing news of a long scan (each host group as its
	// port scan starts), for a terminal.
	Status func(msg string)
}

func (ev *Events) note(format string, a ...any) {
	if ev.Note != nil {
		ev.Note(fmt.Sprintf(format, a...))
	}
}

func (ev *Events) status(format string, a ...any) {
	if ev.Status != nil {
		ev.Status(fmt.Sprintf(format, a...))
	}
}

// check checks what Scan cannot do with, before anything is opened.
func (c *Config) check() error {
	p := c.Pace
	for _, v := range []float64{p.Rate, p.MinRate, p.MaxRate} {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return configErrorf("rates are numbers of 0 or more")
		}
	}
	switch {
	case c.Targets.Len() == 0:
		return configErrorf("no targets")
	case !c.PingOnly && c.Ports.IsEmpty():
		return configErrorf("no ports to scan")
	case c.PingOnly && c.Shard != perm.Shard{}:
		return configErrorf("--shard splits a port scan; a ping sweep (-sn) takes no shards")
	case c.PingOnly && c.Discovery == nil:
		return configErrorf("a ping sweep needs host discovery")
	case !c.Shard.IsValid():
		return configErrorf("bad shard %v", c.Shard)
	case p.MaxParallel < 0 || p.Retries < -1:
		return configErrorf("max parallel takes 0 or more, retries -1 (none) or more")
	case p.Rate > 0 && (p.MinRate > 0 || p.MaxRate > 0):
		return configErrorf("give either a fixed rate or bounds of the adaptive rate, not both")
	case p.MaxRate > 0 && p.MinRate > p.MaxRate:
		return configErrorf("min rate %g is above max rate %g", p.MinRate, p.MaxRate)
	case p.MinTimeout < 0 || p.MaxTimeout < 0 || p.InitialTimeout < 0,
		p.MaxTimeout > 0 && p.MinTimeout > p.MaxTimeout:
		return configErrorf("timeouts must be positive, with the shortest at most the longest")
	case c.HostTimeout < 0:
		return configErrorf("the host timeout must be positive")
	case c.HostTimeout > 0 && c.Shard.N > 1:
		return configErrorf("--host-timeout bounds each host's scan in its host group; a shard has none")
	case c.HostGroup < 0 || c.HostGroup > MaxHostGroup:
		return configErrorf("a host group takes 1 to %d hosts", MaxHostGroup)
	case c.TCP != Auto && c.TCP != SYN && c.TCP != Connect:
		return configErrorf("unknown TCP technique %q", c.TCP)
	case c.Checkpoint != "" && c.Resume != nil:
		return configErrorf("a resumed scan goes on checkpointing to the file it resumes: give a checkpoint or a resume, not both")
	}
	if id := c.Identify; id != nil {
		if id.Timeout < 0 || id.ProbeTimeout < 0 || id.BannerWait < 0 || id.Parallel < 0 {
			return configErrorf("identification timeouts and parallelism must be positive")
		}
	}
	if a := c.Audit; a != nil && (a.Timeout < 0 || a.MaxBytes < 0) {
		return configErrorf("audit budgets must be positive")
	}
	// A rate so low that one probe waits for ages is a mistake, not a
	// pace: at least one probe a minute.
	for _, v := range []float64{p.Rate, p.MinRate, p.MaxRate} {
		if v > 0 && v < 1.0/60 {
			return configErrorf("rate %g is below one probe a minute", v)
		}
	}
	return nil
}

func (c *Config) hostGroup() uint64 {
	if c.HostGroup == 0 {
		return DefaultHostGroup
	}
	return uint64(c.HostGroup)
}

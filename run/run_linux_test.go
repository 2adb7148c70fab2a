package run_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ajarsec/ajar/discover"
	"github.com/ajarsec/ajar/internal/netnstest"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/run"
	"github.com/ajarsec/ajar/target"
	"github.com/ajarsec/ajar/target/perm"
)

// collector is a Sink that keeps every record, and checks the stream's
// order as it comes: Begin first, no port of a host after its Host
// record, one Host record a host, End last.
type collector struct {
	t      testing.TB
	mu     sync.Mutex
	begun  bool
	ended  bool
	info   run.Info
	sum    run.Summary
	ports  []record.PortResult
	hosts  map[netip.Addr]record.Host
	writes int
}

func newCollector(t testing.TB) *collector {
	return &collector{t: t, hosts: map[netip.Addr]record.Host{}}
}

func (c *collector) Begin(info run.Info) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.begun {
		c.t.Error("Begin twice")
	}
	c.begun, c.info = true, info
	return nil
}

func (c *collector) Write(r record.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes++
	if !c.begun || c.ended {
		c.t.Errorf("Write outside Begin..End: %+v", r)
	}
	switch r := r.(type) {
	case *record.PortResult:
		if _, done := c.hosts[r.Host]; done {
			c.t.Errorf("port %d/%v of %v after the host's record", r.Port, r.Proto, r.Host)
		}
		c.ports = append(c.ports, *r)
	case *record.Host:
		if _, dup := c.hosts[r.Addr]; dup {
			c.t.Errorf("two host records for %v", r.Addr)
		}
		c.hosts[r.Addr] = *r
	default:
		c.t.Errorf("unexpected record %T", r)
	}
	return nil
}

func (c *collector) End(s run.Summary) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.begun || c.ended {
		c.t.Error("End without Begin, or twice")
	}
	c.ended, c.sum = true, s
	return nil
}

// states maps "host port/proto" to the state and reason found.
func states(t *testing.T, ports []record.PortResult) map[string]string {
	m := map[string]string{}
	for _, p := range ports {
		k := fmt.Sprintf("%v %d/%v", p.Host, p.Port, p.Proto)
		if _, dup := m[k]; dup {
			t.Errorf("%s reported twice", k)
		}
		m[k] = fmt.Sprintf("%v %v", p.State, p.Reason)
	}
	return m
}

// scanIn runs run.Scan in a child process inside the namespace ns (the
// whole process, every thread of it, as the sockets that the scan's
// goroutines open must be there), and returns what the child's collector
// gathered. The child checks the stream's order itself.
func scanIn(t *testing.T, ns *netnstest.NS, job childJob) childResult {
	t.Helper()
	b, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	cmd := ns.Command(os.Args[0], "-test.run=^TestChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+string(b))
	out, err := cmd.CombinedOutput()
	var res childResult
	for _, line := range strings.Split(string(out), "\n") {
		if rest, ok := strings.CutPrefix(line, childPrefix); ok {
			if err := json.Unmarshal([]byte(rest), &res); err != nil {
				t.Fatalf("child's result: %v", err)
			}
		}
	}
	if err != nil || res.Hosts == nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	return res
}

const (
	childEnv    = "AJAR_RUN_TEST_CHILD"
	childPrefix = "CHILD RESULT "
)

// childJob is a scan for the child to run: a run.Config, as JSON, with
// what the JSON of a Config leaves out.
type childJob struct {
	Config     run.Config
	Targets    string
	Checkpoint string
	Resume     string
	// StopAfter cancels the scan after that many records.
	StopAfter int
}

// childResult is what the child's collector gathered.
type childResult struct {
	Err   string
	Info  run.Info
	Sum   run.Summary
	Ports []record.PortResult
	Hosts map[netip.Addr]record.Host
}

// TestChild is the child of scanIn; it does nothing in a normal run.
func TestChild(t *testing.T) {
	raw := os.Getenv(childEnv)
	if raw == "" {
		t.Skip("the child process of the namespace tests (scanIn)")
	}
	var job childJob
	if err := json.Unmarshal([]byte(raw), &job); err != nil {
		t.Fatal(err)
	}
	cfg := job.Config
	specs, err := target.ParseList(job.Targets)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Targets, err = target.Resolve(t.Context(), specs, target.ResolveOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg.Checkpoint = job.Checkpoint
	if job.Resume != "" {
		ck, err := run.OpenCheckpoint(t.Context(), job.Resume)
		if err != nil {
			t.Fatal(err)
		}
		rc := ck.Config()
		rc.Pace = cfg.Pace
		cfg = rc
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	c := newCollector(t)
	var sink run.Sink = c
	if job.StopAfter > 0 {
		sink = &stopAfter{collector: c, n: job.StopAfter, cancel: cancel}
	}
	res := childResult{Hosts: c.hosts}
	if err := run.Scan(ctx, cfg, sink); err != nil {
		res.Err = err.Error()
	}
	res.Info, res.Sum, res.Ports = c.info, c.sum, c.ports
	if !c.ended {
		t.Error("the sink was not ended")
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println(childPrefix + string(b))
}

func bed(t *testing.T) *netnstest.Bed {
	netnstest.RequirePrivileges(t)
	b := netnstest.NewBed(t)
	b.LiftICMPLimits() // every admin-prohibited port gets its ICMP error
	b.ListenTCP(22, 80, 443)
	b.Firewall(
		netnstest.Rule{Proto: "tcp", Ports: "1000-1099", Action: "drop"},
		netnstest.Rule{Proto: "tcp", Ports: "1100-1109", Action: "icmp-admin-prohibited"},
	)
	return b
}

// want is the bed's truth for ports 1-1200 of one address.
func want(a netip.Addr, technique run.TCPTechnique) map[string]string {
	m := map[string]string{}
	open := "open connected"
	if technique == run.SYN {
		open = "open syn-ack"
	}
	for _, p := range []int{22, 80, 443} {
		m[fmt.Sprintf("%v %d/tcp", a, p)] = open
	}
	for p := 1000; p < 1100; p++ {
		m[fmt.Sprintf("%v %d/tcp", a, p)] = "filtered no-response"
	}
	for p := 1100; p < 1110; p++ {
		m[fmt.Sprintf("%v %d/tcp", a, p)] = "filtered admin-prohibited"
	}
	return m
}

// listed keeps the states other than closed (closed ports are counted,
// not compared one by one).
func listed(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if v != "closed conn-refused" && v != "closed reset" {
			out[k] = v
		}
	}
	return out
}

func diff(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s: got %q, want %q", what, k, got[k], v)
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: %s: got %q, want nothing", what, k, v)
		}
	}
}

// fast is a pace for the bed, where nothing is far.
var fast = run.Pace{MaxTimeout: 300 * time.Millisecond, InitialTimeout: 300 * time.Millisecond}

// TestScanBed scans one host of a namespace with each TCP technique: the
// states, the host record after its ports, and the summary.
func TestScanBed(t *testing.T) {
	b := bed(t)
	a := b.TargetAddr4
	for _, tech := range []run.TCPTechnique{run.Connect, run.SYN} {
		t.Run(string(tech), func(t *testing.T) {
			cfg := run.Config{Ports: portspec.MustParseSpec("1-1200"), TCP: tech, AllPorts: true, Pace: fast}
			res := scanIn(t, b.Scanner, childJob{Config: cfg, Targets: a.String()})
			if res.Err != "" {
				t.Fatal(res.Err)
			}
			diff(t, "ports", listed(states(t, res.Ports)), want(a, tech))
			if len(res.Ports) != 1200 {
				t.Errorf("%d port records, want 1200", len(res.Ports))
			}
			h, ok := res.Hosts[a]
			if !ok || h.State != record.Up || h.Reason != record.ReasonUserSet {
				t.Errorf("host record %+v (found %v), want up, user-set", h, ok)
			}
			if res.Sum.Interrupted || res.Sum.HostsDone != 1 || res.Sum.Hosts != 1 {
				t.Errorf("summary %+v", res.Sum)
			}
			if len(res.Info.Scans) != 1 || res.Info.Scans[0].Type != string(tech) {
				t.Errorf("info %+v", res.Info)
			}
			for _, p := range res.Ports {
				if p.State == record.Open && (p.Service == nil || p.Service.Method != "port-table") {
					t.Errorf("open port %d without the port table's name: %+v", p.Port, p.Service)
				}
			}
		})
	}
}

// TestScanShardsAgree runs the four shards of one scan apart, without a
// seed: together they are the whole scan, each probe once.
func TestScanShardsAgree(t *testing.T) {
	b := bed(t)
	a4, a6 := b.TargetAddr4, b.TargetAddr6
	all := map[string]string{}
	for i := uint64(1); i <= 4; i++ {
		cfg := run.Config{Ports: portspec.MustParseSpec("1-1200"), TCP: run.Connect, AllPorts: true,
			Shard: perm.Shard{I: i, N: 4}, Pace: fast}
		res := scanIn(t, b.Scanner, childJob{Config: cfg, Targets: a4.String() + " " + a6.String()})
		if res.Err != "" {
			t.Fatal(res.Err)
		}
		if len(res.Hosts) != 0 {
			t.Errorf("shard %d: host records %v: a shard probes only part of each host", i, res.Hosts)
		}
		for k, v := range states(t, res.Ports) {
			if _, dup := all[k]; dup {
				t.Errorf("%s probed by two shards", k)
			}
			all[k] = v
		}
	}
	if len(all) != 2400 {
		t.Errorf("the shards probed %d ports, want 2400", len(all))
	}
	w := want(a4, run.Connect)
	maps.Copy(w, want(a6, run.Connect))
	diff(t, "shards", listed(all), w)
}

// TestScanResume stops a scan with a checkpoint part way, resumes it, and
// checks that the resumed run's stream is the whole scan, once.
func TestScanResume(t *testing.T) {
	b := bed(t)
	a := b.TargetAddr4
	ckpt := filepath.Join(t.TempDir(), "scan.ckpt")
	slow := fast
	slow.Rate = 800
	cfg := run.Config{Ports: portspec.MustParseSpec("1-1200"), TCP: run.Connect, AllPorts: true, Pace: slow}
	first := scanIn(t, b.Scanner, childJob{Config: cfg, Targets: a.String(), Checkpoint: ckpt, StopAfter: 400})
	if first.Err != context.Canceled.Error() {
		t.Fatalf("stopped scan: %q, want %q", first.Err, context.Canceled)
	}
	if !first.Sum.Interrupted || len(first.Hosts) != 0 || first.Sum.HostsDone != 0 {
		t.Errorf("stopped scan: summary %+v, host records %v", first.Sum, first.Hosts)
	}
	if _, err := os.Stat(ckpt); err != nil {
		t.Fatalf("no checkpoint kept: %v", err)
	}
	second := scanIn(t, b.Scanner, childJob{Config: run.Config{Pace: fast}, Targets: a.String(), Resume: ckpt})
	if second.Err != "" {
		t.Fatal(second.Err)
	}
	diff(t, "resumed", listed(states(t, second.Ports)), want(a, run.Connect))
	if len(second.Ports) != 1200 {
		t.Errorf("resumed: %d port records, want 1200", len(second.Ports))
	}
	if h := second.Hosts[a]; h.State != record.Up {
		t.Errorf("resumed: host record %+v", h)
	}
	if _, err := os.Stat(ckpt); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a complete scan left its checkpoint: %v", err)
	}
}

// stopAfter cancels the scan after n records.
type stopAfter struct {
	*collector
	n      int
	cancel func()
}

func (s *stopAfter) Write(r record.Record) error {
	if s.collector.writes == s.n {
		s.cancel()
	}
	return s.collector.Write(r)
}

// TestScanIdentify identifies a service the scan finds; the host's record
// waits for it.
func TestScanIdentify(t *testing.T) {
	netnstest.RequirePrivileges(t)
	b := netnstest.NewBed(t)
	var l net.Listener
	if err := b.InTarget(func() (err error) { l, err = net.Listen("tcp", ":2222"); return err }); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"))
			time.AfterFunc(2*time.Second, func() { c.Close() })
		}
	}()
	cfg := run.Config{Ports: portspec.MustParseSpec("2222"), TCP: run.Connect, Identify: &run.Identify{}}
	res := scanIn(t, b.Scanner, childJob{Config: cfg, Targets: b.TargetAddr4.String()})
	if res.Err != "" {
		t.Fatal(res.Err)
	}
	if len(res.Ports) != 1 || res.Ports[0].Service == nil {
		t.Fatalf("ports %+v", res.Ports)
	}
	if s := res.Ports[0].Service; s.Name != "ssh" || s.Product != "OpenSSH" || s.Version != "9.2p1" {
		t.Errorf("service %+v, want ssh OpenSSH 9.2p1", s)
	}
	if _, ok := res.Hosts[b.TargetAddr4]; !ok {
		t.Error("no host record")
	}
}

// TestScanDiscoveryGroups scans a LAN of namespaces in host groups of 2:
// down hosts get a down record and no port, up hosts their ports, then
// their record.
func TestScanDiscoveryGroups(t *testing.T) {
	netnstest.RequirePrivileges(t)
	lan := netnstest.NewLAN(t, 3)
	lan.Hosts[0].ListenTCP(80)
	lan.Hosts[2].ListenTCP(80)
	lan.Hosts[1].Unaddress()
	var addrs []string
	for i := range 3 {
		addrs = append(addrs, lan.Hosts[i].Addr4.String())
	}
	addrs = append(addrs, lan.Unused4(0).String())
	cfg := run.Config{Ports: portspec.MustParseSpec("79-81"), TCP: run.Connect, Discovery: &discover.Config{}, HostGroup: 2}
	res := scanIn(t, lan.Scanner, childJob{Config: cfg, Targets: strings.Join(addrs, " ")})
	if res.Err != "" {
		t.Fatal(res.Err)
	}
	for i, h := range lan.Hosts[:3] {
		got, ok := res.Hosts[h.Addr4]
		wantUp := i != 1
		if !ok || (got.State == record.Up) != wantUp {
			t.Errorf("host %v: record %+v (found %v), want up %v", h.Addr4, got, ok, wantUp)
		}
	}
	if got := res.Hosts[lan.Unused4(0)]; got.State != record.Down {
		t.Errorf("unused address: %+v, want down", got)
	}
	open := 0
	for _, p := range res.Ports {
		if p.State == record.Open {
			open++
		}
		if p.Host == lan.Hosts[1].Addr4 || p.Host == lan.Unused4(0) {
			t.Errorf("a port of a down host: %+v", p)
		}
	}
	if open != 2 || res.Sum.Up != 2 || res.Sum.Down != 2 {
		t.Errorf("%d open ports, summary %+v; want 2 open, 2 up, 2 down", open, res.Sum)
	}
}

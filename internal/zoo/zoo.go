//go:build linux

// Package zoo runs real daemons from Debian's packages inside a throw-away
// network namespace, so that ajar's service identification can be tested
// against what it will meet in the wild: sshd, nginx, Exim, PostgreSQL,
// dnsmasq, snmpd and some thirty more (see zoo/README.md).
//
// Start builds a netnstest.Bed, renders each daemon's configuration from
// the templates in the repository's zoo/ directory into a temporary
// directory, starts every daemon in the bed's target namespace as a child
// process of its own process group, waits until each port answers from the
// scanner namespace, and registers a cleanup that stops them all and
// removes the namespaces. Services lists the truth: which service listens
// on which port, and what product and version it reveals, derived from the
// installed packages' versions.
//
// Two layouts exist: Usual, where each service has its usual port, and
// Shuffled, where nftables nat rules in the target namespace move every
// service to the port of a service of a different protocol (SSH on the
// HTTP port, and so on), while the daemons keep listening where they are.
// One layout is active at a time; SetLayout switches, atomically.
package zoo

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ajarsec/ajar/internal/netnstest"
	"github.com/ajarsec/ajar/portspec"
)

// Service is one port of the zoo: what a service identifier should say
// about it.
type Service struct {
	// Name is the service as ajar names it: "ssh", "http" (also over TLS:
	// see TLS), "smtp", "mysql", "smb", "socks5", …
	Name  string         `json:"name"`
	Proto portspec.Proto `json:"proto"`
	Port  uint16         `json:"port"`
	// TLS is set when the service speaks TLS from the first byte (https,
	// imaps), not when it offers STARTTLS.
	TLS bool `json:"tls"`
	// Product and Version are what the daemon reveals to a client, derived
	// from the installed package's version; Version is "" when the daemon
	// does not reveal it, Product "" when nothing on the wire names it.
	Product string `json:"product"`
	Version string `json:"version"`
	// Reveal says how Product and Version can be learnt, for a reader of
	// the truth table ("banner", "Server header", "INFO command", …).
	Reveal string `json:"reveal,omitempty"`
	// Daemon is the zoo's name of the daemon that serves the port.
	Daemon string `json:"daemon"`
	// Package is the Debian package and version the truth comes from.
	Package string `json:"package"`
	// Expired is set on a TLS service whose certificate has expired.
	Expired bool `json:"expired,omitempty"`
}

// Layout says which port each service answers on.
type Layout int

const (
	// Usual puts every service on its usual port.
	Usual Layout = iota
	// Shuffled moves every service to a port that usually belongs to a
	// different protocol, with nftables redirects in the target.
	Shuffled
)

// String returns "usual" or "shuffled".
func (l Layout) String() string {
	switch l {
	case Usual:
		return "usual"
	case Shuffled:
		return "shuffled"
	}
	return fmt.Sprintf("Layout(%d)", int(l))
}

// ParseLayout reads "usual" or "shuffled".
func ParseLayout(s string) (Layout, error) {
	switch s {
	case "usual":
		return Usual, nil
	case "shuffled":
		return Shuffled, nil
	}
	return 0, fmt.Errorf("unknown layout %q: want usual or shuffled", s)
}

// Set names one of the zoo's two independent sets of daemons.
type Set int

const (
	// First is the zoo the detectors were written against (zoo/README.md).
	First Set = iota
	// Second is a zoo of other daemons, none of which the first runs,
	// for identification on services no detector was tuned to
	// (internal/zoo/second.go).
	Second
	// Audit is a zoo of planted misconfigurations, each daemon with a
	// hardened twin of the same package (internal/zoo/audit.go).
	Audit
)

// String returns "first" or "second".
func (s Set) String() string {
	switch s {
	case Second:
		return "second"
	case Audit:
		return "audit"
	}
	return "first"
}

// ParseSet reads "first" or "second".
func ParseSet(s string) (Set, error) {
	switch s {
	case "first", "":
		return First, nil
	case "second":
		return Second, nil
	case "audit":
		return Audit, nil
	}
	return 0, fmt.Errorf("unknown zoo set %q: want first, second or audit", s)
}

// catalogOf lists the daemons of a set.
func catalogOf(s Set) []*daemon {
	switch s {
	case Second:
		return catalogSecond()
	case Audit:
		return catalogAudit()
	}
	return catalog()
}

// Options configures Start. The zero value starts every daemon of the
// first set in the usual layout.
type Options struct {
	// Set is the set of daemons to start from.
	Set Set
	// Only names the daemons to start (see Daemons); empty means all.
	// Daemons a chosen one needs (haproxy needs nginx) come along.
	Only []string
	// Layout is the layout active when Start returns.
	Layout Layout
	// Seed picks the shuffled layout's permutation; 0 means 1. The same
	// seed and daemons give the same layout.
	Seed uint64
	// StartTimeout bounds the wait for every port to answer; 0 means 90
	// seconds.
	StartTimeout time.Duration
}

// Zoo is a running zoo.
type Zoo struct {
	// Bed holds the two namespaces: daemons run in Bed.Target, and
	// commands a test runs with Command run in Bed.Scanner.
	Bed *netnstest.Bed
	// Dir is the zoo's temporary directory: one subdirectory per daemon
	// with its rendered configuration, state and logs.
	Dir string
	// StartTime is how long Start took from the first daemon started to
	// the last port answering.
	StartTime time.Duration

	t          testing.TB
	daemons    []*instance
	usual      []Service
	shuffled   []Service
	shuffleErr error

	mu     sync.Mutex
	layout Layout
}

// Daemons lists the names of every daemon of the first set, for
// Options.Only.
func Daemons() []string { return DaemonsOf(First) }

// DaemonsOf lists the names of every daemon of a set.
func DaemonsOf(s Set) []string {
	var names []string
	for _, d := range catalogOf(s) {
		names = append(names, d.name)
	}
	return names
}

// Start starts the zoo, or skips the test when it cannot: not root, or
// the zoo's packages are not installed (scripts/zoo-deps.sh installs them).
// Under CI=true those are failures. A daemon that does not come up fails
// the test with its log.
func Start(t testing.TB, opts Options) *Zoo {
	t.Helper()
	netnstest.RequirePrivileges(t)
	defs, err := choose(catalogOf(opts.Set), opts.Only)
	if err != nil {
		t.Fatal(err)
	}
	pkgs, err := installed(context.Background(), defs)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v; under CI=true the zoo must run", err)
		}
		t.Skip(err)
	}
	dir, err := os.MkdirTemp("", "ajar-zoo-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) }) // after the daemons are gone
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	z := &Zoo{Bed: netnstest.NewBed(t), Dir: dir, t: t}
	tlsFiles, err := writeCerts(dir)
	if err != nil {
		t.Fatal(err)
	}
	ports := portTable(defs)
	for _, d := range defs {
		z.daemons = append(z.daemons, &instance{def: d, zoo: z, dir: dir + "/" + d.name,
			data: tmplData{Dir: dir + "/" + d.name, Root: dir, Addr: z.Bed.TargetAddr4.String(),
				TLS: tlsFiles, Port: ports[d.name], Ports: ports}})
	}
	t.Cleanup(z.stop)
	z.usual = truthTable(defs, pkgs)
	seed := opts.Seed
	if seed == 0 {
		seed = 1
	}
	// A few daemons may have no shuffle: that fails SetLayout(Shuffled)
	// only.
	z.shuffled, z.shuffleErr = shuffle(z.usual, seed)
	timeout := opts.StartTimeout
	if timeout == 0 {
		timeout = 90 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	began := time.Now()
	if err := z.startAll(ctx); err != nil {
		t.Fatal(err)
	}
	if err := z.waitReady(ctx); err != nil {
		t.Fatal(err)
	}
	z.StartTime = time.Since(began)
	z.SetLayout(opts.Layout)
	return z
}

// choose picks the named daemons from the catalog, with the daemons they
// need, in catalog order.
func choose(all []*daemon, only []string) ([]*daemon, error) {
	if len(only) == 0 {
		return all, nil
	}
	want := map[string]bool{}
	var add func(string) error
	add = func(name string) error {
		i := slices.IndexFunc(all, func(d *daemon) bool { return d.name == name })
		if i < 0 {
			return fmt.Errorf("zoo: no daemon %q here", name)
		}
		want[name] = true
		for _, n := range all[i].needs {
			if err := add(n); err != nil {
				return err
			}
		}
		return nil
	}
	for _, n := range only {
		if err := add(n); err != nil {
			return nil, err
		}
	}
	var defs []*daemon
	for _, d := range all {
		if want[d.name] {
			defs = append(defs, d)
		}
	}
	return defs, nil
}

// Services returns the truth table of a layout, sorted by protocol and
// port, whichever layout is active. A zoo of too few daemons to shuffle
// has no shuffled table.
func (z *Zoo) Services(l Layout) []Service {
	if l == Shuffled {
		return slices.Clone(z.shuffled)
	}
	return slices.Clone(z.usual)
}

// Layout returns the active layout.
func (z *Zoo) Layout() Layout {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.layout
}

// SetLayout makes a layout active, replacing the target's nat rules in one
// nftables transaction. It fails the test if nft refuses.
func (z *Zoo) SetLayout(l Layout) {
	z.t.Helper()
	z.mu.Lock()
	defer z.mu.Unlock()
	if err := z.applyLayout(l); err != nil {
		z.t.Fatal(err)
	}
	z.layout = l
}

// Addr is the target's IPv4 address, where the scanner namespace reaches
// every service.
func (z *Zoo) Addr() netip.Addr { return z.Bed.TargetAddr4 }

// Command makes a command that runs in the scanner namespace, from where
// the zoo's services are reached at Addr.
func (z *Zoo) Command(name string, args ...string) *exec.Cmd {
	return z.Bed.Scanner.Command(name, args...)
}

// TargetCommand makes a command that runs in the target namespace, next
// to the daemons: there they are also reached on 127.0.0.1.
func (z *Zoo) TargetCommand(name string, args ...string) *exec.Cmd {
	return z.Bed.Target.Command(name, args...)
}

// Check returns an error naming each daemon that has exited, with the end
// of its log: a test calls it after its scans, to know the zoo held up.
func (z *Zoo) Check() error {
	var errs []error
	for _, d := range z.daemons {
		if err := d.exited(); err != nil {
			errs = append(errs, err)
		}
	}
	return joinErrs(errs)
}

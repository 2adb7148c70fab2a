// Package diff tells what changed between scans: hosts up and down, ports
// opened, closed or in another state, services and versions that changed,
// findings new and fixed. Changes are keyed on (host, protocol, port),
// never on pids, times or formatting: a daemon restarted with a new pid
// is no change.
//
// A Scan is one side: a stored run's records, or a results file (ajar
// JSON or JSON Lines, nmap XML as nmap writes it, masscan JSON or list,
// naabu JSON) read by ReadFile. Compare gives the changes between two;
// Series follows each change through the scans between them, so that a
// port that flaps is told from one that changed once, and a change can be
// held back until it has settled over several scans.
package diff

import (
	"net/netip"
	"strings"
	"time"

	"github.com/ajarsec/ajar/record"
)

// Scan is what one scan saw of each host. Build it with NewScan and Add.
type Scan struct {
	// Label names the scan for people: "run 12", a file name.
	Label string
	// Time is when the scan started; zero when unknown.
	Time  time.Time
	hosts map[netip.Addr]*host
}

type host struct {
	name  string
	state record.HostState // HostUnknown: no host record
	ports map[pkey]*port
	// extra is the state of the ports not listed, per protocol, when the
	// scan summarised them (nmap's extraports).
	extra map[record.Proto]record.State
}

type pkey struct {
	proto record.Proto
	port  uint16
}

type port struct {
	state    record.State
	service  string // name product version extrainfo, as one string
	findings map[string]record.Finding
}

// NewScan makes an empty scan.
func NewScan(label string, t time.Time) *Scan {
	return &Scan{Label: label, Time: t, hosts: map[netip.Addr]*host{}}
}

// FromFile makes a scan of what a results file holds.
func FromFile(label string, f *File) *Scan {
	s := NewScan(label, f.Start)
	for _, r := range f.Records {
		s.Add(r)
	}
	for a, m := range f.Extra {
		h := s.host(a)
		for proto, st := range m {
			if h.extra == nil {
				h.extra = map[record.Proto]record.State{}
			}
			h.extra[proto] = st
		}
	}
	return s
}

func (s *Scan) host(a netip.Addr) *host {
	h := s.hosts[a]
	if h == nil {
		h = &host{ports: map[pkey]*port{}}
		s.hosts[a] = h
	}
	return h
}

// Add adds a record: a host, a port, or a socket (a listening socket of
// this machine is an open port of its local address).
func (s *Scan) Add(r record.Record) {
	switch r := r.(type) {
	case *record.Host:
		h := s.host(r.Addr)
		h.state = r.State
		if r.Name != "" {
			h.name = r.Name
		}
	case *record.PortResult:
		h := s.host(r.Host)
		if r.Hostname != "" && h.name == "" {
			h.name = r.Hostname
		}
		p := &port{state: r.State, service: serviceString(r.Service)}
		for _, f := range r.Findings {
			if p.findings == nil {
				p.findings = map[string]record.Finding{}
			}
			p.findings[f.ID] = f
		}
		h.ports[pkey{r.Proto, r.Port}] = p
	case *record.Socket:
		if r.State != record.SocketListen && r.State != record.SocketUnconn {
			return
		}
		h := s.host(r.Local.Addr())
		if h.state == record.HostUnknown {
			h.state = record.Up
		}
		h.ports[pkey{r.Proto, r.Local.Port()}] = &port{state: record.Open}
	}
}

// serviceString is what a diff compares of a service: the name, product,
// version and extra information an identification found. A name from
// the port table alone is no identification, and compares as nothing.
func serviceString(s *record.Service) string {
	if s == nil || s.Method == "port-table" {
		return ""
	}
	return strings.Join(strings.Fields(strings.Join([]string{s.Name, s.Product, s.Version, s.ExtraInfo}, " ")), " ")
}

// portState is the state a scan saw of a port: listed, or summarised,
// or StateUnknown.
func (h *host) portState(k pkey) record.State {
	if h == nil {
		return record.StateUnknown
	}
	if p := h.ports[k]; p != nil {
		return p.state
	}
	if st, ok := h.extra[k.proto]; ok {
		return st
	}
	return record.StateUnknown
}

// Hosts is how many hosts the scan saw.
func (s *Scan) Hosts() int { return len(s.hosts) }

package run

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"syscall"
	"time"

	"github.com/ajarsec/ajar/record"
)

// Endpoint is one port to identify without a port scan.
type Endpoint struct {
	Addr  netip.AddrPort
	Name  string // the host name given, if any
	Proto record.Proto
}

// ErrNoneIdentified is returned by IdentifyPorts when no port had its
// service named.
var ErrNoneIdentified = errors.New("no service identified")

// IdentifyPorts identifies the service on each port, as `ajar identify`
// does, and streams the records to sink as Scan does: each port's record,
// then its host's (up, as named by the user) after the host's last port.
// The same endpoint given twice is probed once. A TCP port that refuses
// the connection is closed, one that does not answer filtered; a UDP port
// no probe made answer stays open|filtered. It returns ErrNoneIdentified
// when no service was named.
func IdentifyPorts(ctx context.Context, eps []Endpoint, cfg Identify, ev Events, sink Sink) error {
	return identifyPorts(ctx, eps, cfg, nil, ev, sink)
}

func identifyPorts(ctx context.Context, eps []Endpoint, cfg Identify, au *AuditConfig, ev Events, sink Sink) error {
	hosts, ports := groupEndpoints(eps)
	s := newStream(sink, &ev, &cfg)
	s.au = au.audit()
	info := Info{Start: time.Now(), Hosts: uint64(len(hosts))}
	if err := sink.Begin(info); err != nil {
		return err
	}
	timeout := cfg.ProbeTimeout
	if timeout <= 0 {
		timeout = 1500 * time.Millisecond
	}
	var named int
	s.onWrite = func(r *record.PortResult) {
		if r.Service != nil && r.Service.Method != "port-table" {
			named++
		}
	}
	done := uint64(0)
	for g, h := range hosts {
		if ctx.Err() != nil {
			break
		}
		for _, ep := range ports[g] {
			r := record.PortResult{Host: ep.Addr.Addr(), Hostname: ep.Name, Port: ep.Addr.Port(), Proto: ep.Proto,
				State: record.Open, Reason: record.ReasonUserSet}
			if ep.Proto == record.TCP {
				r.State, r.Reason, r.RTT = reach(ctx, ep.Addr, timeout)
			} else {
				r.State, r.Reason = record.OpenFiltered, record.ReasonUserSet
			}
			s.port(ctx, &r, uint64(g))
		}
		s.groupDone(uint64(g), []record.Host{h})
		done++
	}
	s.wait()
	interrupted := ctx.Err() != nil
	endErr := sink.End(Summary{End: time.Now(), Hosts: uint64(len(hosts)), HostsDone: done, Interrupted: interrupted})
	switch err := errors.Join(s.error(), endErr); {
	case interrupted:
		return ctx.Err()
	case err != nil:
		return err
	case named == 0:
		return ErrNoneIdentified
	}
	return nil
}

// groupEndpoints orders the endpoints by host, in the order hosts were
// first given, each endpoint once.
func groupEndpoints(eps []Endpoint) ([]record.Host, [][]Endpoint) {
	var hosts []record.Host
	var ports [][]Endpoint
	idx := map[netip.Addr]int{}
	seen := map[Endpoint]bool{}
	for _, ep := range eps {
		if seen[ep] {
			continue
		}
		seen[ep] = true
		a := ep.Addr.Addr()
		i, ok := idx[a]
		if !ok {
			i = len(hosts)
			idx[a] = i
			hosts = append(hosts, record.Host{Addr: a, Name: ep.Name, State: record.Up, Reason: record.ReasonUserSet})
			ports = append(ports, nil)
		}
		ports[i] = append(ports[i], ep)
	}
	return hosts, ports
}

// reach connects to a TCP port once: open when it accepts, closed when it
// refuses, filtered when it stays silent or an ICMP error comes back.
func reach(ctx context.Context, ap netip.AddrPort, timeout time.Duration) (record.State, record.Reason, time.Duration) {
	d := net.Dialer{Timeout: timeout}
	start := time.Now()
	c, err := d.DialContext(ctx, "tcp", ap.String())
	rtt := time.Since(start)
	switch {
	case err == nil:
		c.Close()
		return record.Open, record.ReasonConnected, rtt
	case errors.Is(err, syscall.ECONNREFUSED):
		return record.Closed, record.ReasonConnRefused, rtt
	case errors.Is(err, syscall.EHOSTUNREACH):
		return record.Filtered, record.ReasonHostUnreach, rtt
	case errors.Is(err, syscall.ENETUNREACH):
		return record.Filtered, record.ReasonNetUnreach, rtt
	}
	return record.Filtered, record.ReasonNoResponse, 0 // silence, or a stop
}

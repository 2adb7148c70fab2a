package run

import (
	"errors"
	"fmt"
	"runtime"
	"slices"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/scan"
	"github.com/ajarsec/ajar/scan/connect"
	"github.com/ajarsec/ajar/scan/syn"
	"github.com/ajarsec/ajar/scan/udp"
)

// ErrPrivileges is returned when a SYN scan is asked for and this process
// may not open raw sockets.
var ErrPrivileges = syn.ErrPrivileges

// tcpTechnique is how a scan probes TCP ports.
type tcpTechnique struct {
	prober scan.Prober
	// typ is nmap's name for it, in the XML's <scaninfo>: "syn" or
	// "connect".
	typ string
	// note says which technique the default picked, and why; empty when
	// the caller chose.
	note  string
	close func() error
}

// chooseTCP picks the TCP technique: SYN or connect as asked, and with
// Auto a SYN scan when this process may open raw sockets (root, or
// CAP_NET_RAW), else a connect scan. The choice made by default is never
// silent: note says it. SYN without the privilege is a configuration
// error. When no TCP port is scanned (needed is false) nothing is opened.
func chooseTCP(t TCPTechnique, needed bool) (tcpTechnique, error) {
	if !needed {
		return tcpTechnique{close: func() error { return nil }}, nil
	}
	if t == Connect {
		return connectTechnique(""), nil
	}
	p, err := syn.New(syn.Config{})
	if err == nil {
		tt := tcpTechnique{prober: p, typ: "syn", close: p.Close}
		if t == Auto {
			tt.note = "SYN scan (raw sockets allowed here; -sT for a connect scan)"
		}
		return tt, nil
	}
	if t == SYN {
		if errors.Is(err, syn.ErrPrivileges) {
			return tcpTechnique{}, fmt.Errorf("%w: -sS needs raw sockets: run as root or give ajar CAP_NET_RAW (setcap cap_net_raw+ep), or scan with -sT", ErrConfig)
		}
		if errors.Is(err, errors.ErrUnsupported) {
			return tcpTechnique{}, configErrorf("-sS: no SYN scanning on %s: scan with -sT", runtime.GOOS)
		}
		return tcpTechnique{}, err
	}
	switch {
	case errors.Is(err, syn.ErrPrivileges):
		return connectTechnique("TCP connect scan (a SYN scan needs root or CAP_NET_RAW)"), nil
	case errors.Is(err, errors.ErrUnsupported):
		return connectTechnique(fmt.Sprintf("TCP connect scan (no SYN scanning on %s)", runtime.GOOS)), nil
	}
	return connectTechnique(fmt.Sprintf("TCP connect scan (no SYN scan: %v)", err)), nil
}

func connectTechnique(note string) tcpTechnique {
	if a, err := connect.NewAsync(); err == nil { // one epoll loop; Linux only
		return tcpTechnique{prober: a, typ: "connect", note: note, close: a.Close}
	}
	return tcpTechnique{prober: connect.Prober{}, typ: "connect", note: note, close: func() error { return nil }}
}

// chooseUDP makes the UDP prober: on Linux an Async one (its probes in
// flight are data of one event loop), elsewhere the prober whose workers
// wait on goroutines. When no UDP port is scanned (needed is false)
// nothing is started. close stops what was.
func chooseUDP(needed bool) (p scan.Prober, close func() error) {
	pr := udp.Prober{Payloads: fingerprint.UDPPayload}
	if !needed {
		return pr, func() error { return nil }
	}
	if a, err := udp.NewAsync(pr); err == nil { // Linux only
		return a, a.Close
	}
	return pr, func() error { return nil }
}

// plans pairs each protocol's ports with its prober, and describes them
// for the sink.
func plans(spec portspec.Spec, tcp tcpTechnique, udpProber scan.Prober) ([]scan.Plan, []ScanInfo) {
	var ps []scan.Plan
	var infos []ScanInfo
	add := func(pr scan.Prober, typ string, ports portspec.Ranges) {
		if ports.IsEmpty() {
			return
		}
		ps = append(ps, scan.Plan{Prober: pr, Ports: slices.Collect(ports.All())})
		infos = append(infos, ScanInfo{Type: typ, Proto: pr.Proto(), Ports: ports.String(), NumPorts: ports.Len()})
	}
	if tcp.prober != nil {
		add(tcp.prober, tcp.typ, spec.TCP)
	}
	add(udpProber, "udp", spec.UDP)
	return ps, infos
}

// describe says what a scan probes, to compare a resumed scan with the one
// its checkpoint holds: "syn tcp 1-1000".
func describe(infos []ScanInfo) []string {
	out := make([]string, len(infos))
	for i, si := range infos {
		out[i] = fmt.Sprintf("%s %v %s", si.Type, si.Proto, si.Ports)
	}
	return out
}

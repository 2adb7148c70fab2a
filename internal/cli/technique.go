package cli

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/ajarsec/ajar/scan"
	"github.com/ajarsec/ajar/scan/connect"
	"github.com/ajarsec/ajar/scan/syn"
)

// tcpTechnique is how a scan probes TCP ports.
type tcpTechnique struct {
	prober scan.Prober
	// typ is nmap's name for it, in the XML's <scaninfo>: "syn" or
	// "connect".
	typ string
	// note says which technique the default picked, and why, for
	// stderr; empty when the user chose.
	note  string
	close func() error
}

// chooseTCP picks the TCP technique: -sS or -sT as asked, and without
// either a SYN scan when this process may open raw sockets (root, or
// CAP_NET_RAW), else a connect scan. The choice made by default is never
// silent: note says it. -sS without the privilege is a usage error. When
// no TCP port is scanned (needed is false) nothing is opened.
func chooseTCP(f *scanFlags, needed bool) (tcpTechnique, error) {
	if f.syn && f.connect {
		return tcpTechnique{}, usageErrorf("give only one of -sS (SYN) and -sT (connect)")
	}
	if !needed {
		return tcpTechnique{close: func() error { return nil }}, nil
	}
	if f.connect {
		return connectTechnique(""), nil
	}
	p, err := syn.New(syn.Config{})
	if err == nil {
		t := tcpTechnique{prober: p, typ: "syn", close: p.Close}
		if !f.syn {
			t.note = "SYN scan (raw sockets allowed here; -sT for a connect scan)"
		}
		return t, nil
	}
	if f.syn {
		if errors.Is(err, syn.ErrPrivileges) {
			return tcpTechnique{}, usageErrorf("-sS needs raw sockets: run as root or give ajar CAP_NET_RAW (setcap cap_net_raw+ep), or scan with -sT")
		}
		if errors.Is(err, errors.ErrUnsupported) {
			return tcpTechnique{}, usageErrorf("-sS: no SYN scanning on %s: scan with -sT", runtime.GOOS)
		}
		return tcpTechnique{}, failure(err)
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
	return tcpTechnique{prober: connect.Prober{}, typ: "connect", note: note, close: func() error { return nil }}
}

package run_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/run"
	"github.com/ajarsec/ajar/target"
)

// printer is the smallest Sink: it prints each record.
type printer struct{}

func (printer) Begin(info run.Info) error {
	fmt.Printf("%s scan of %d host(s)\n", info.Scans[0].Type, info.Hosts)
	return nil
}

func (printer) Write(r record.Record) error {
	switch r := r.(type) {
	case *record.PortResult:
		fmt.Printf("port %v %s\n", r.State, r.Reason)
	case *record.Host:
		fmt.Printf("host %v (%s)\n", r.State, r.Reason)
	}
	return nil
}

func (printer) End(s run.Summary) error {
	fmt.Printf("%d of %d hosts done\n", s.HostsDone, s.Hosts)
	return nil
}

// A whole scan from Go: a connect scan of one port that this example
// listens on itself, streamed to a Sink that prints each record. A real
// caller sets Identify for -sV, Discovery for host discovery and
// Checkpoint to be able to resume, and writes records with report.
func ExampleScan() {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	ap := netip.MustParseAddrPort(l.Addr().String())
	ports, err := portspec.ParseSpec(fmt.Sprint(ap.Port()), portspec.TCP)
	if err != nil {
		panic(err)
	}
	cfg := run.Config{
		Targets: target.SetOf(target.Range{From: ap.Addr(), To: ap.Addr()}),
		Ports:   ports,
		TCP:     run.Connect,
	}
	if err := run.Scan(context.Background(), cfg, printer{}); err != nil {
		panic(err)
	}
	// Output:
	// connect scan of 1 host(s)
	// port open connected
	// host up (user-set)
	// 1 of 1 hosts done
}

package run

import (
	"context"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/record"
)

// stalledSSH dials an in-memory SSH server that, like a daemon on a
// loaded machine, says nothing to the connections of its first 250 ms
// and greets the later ones.
func stalledSSH() func(context.Context, string, string) (net.Conn, error) {
	var mu sync.Mutex
	var first time.Time
	return func(context.Context, string, string) (net.Conn, error) {
		mu.Lock()
		if first.IsZero() {
			first = time.Now()
		}
		stalled := time.Since(first) < 250*time.Millisecond
		mu.Unlock()
		c, srv := net.Pipe()
		go func() {
			defer srv.Close()
			if !stalled {
				srv.Write([]byte("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"))
			}
			io.Copy(io.Discard, srv)
		}()
		return c, nil
	}
}

// TestAuditRetriesIdentification: a port whose identification ran out of
// budget is identified once more when it is to be audited (its checks
// need a name), and not otherwise.
func TestAuditRetriesIdentification(t *testing.T) {
	port := func() record.PortResult {
		return record.PortResult{Host: netip.MustParseAddr("192.0.2.1"), Port: 40022, Proto: record.TCP, State: record.Open}
	}
	// The banner wait outlasts the budget: the first try spends all of
	// its 300 ms waiting on a stalled connection.
	cfg := func() *fingerprint.Config {
		return &fingerprint.Config{Timeout: 300 * time.Millisecond, ProbeTimeout: 100 * time.Millisecond,
			BannerWait: time.Second, Dial: stalledSSH()}
	}
	r := port()
	identifyForAudit(context.Background(), cfg(), nil, &r)
	if named(r.Service) {
		t.Fatalf("without an audit: identified %+v at the first try; the stall did not stall", r.Service)
	}
	r = port()
	identifyForAudit(context.Background(), cfg(), &audit.Config{}, &r)
	if !named(r.Service) || r.Service.Name != "ssh" {
		t.Errorf("with an audit: %+v, want ssh at the second try", r.Service)
	}
	// A silent UDP port is not tried again: it costs as many dials as
	// identification alone.
	var dials atomic.Int32
	c := cfg()
	c.Dial = func(context.Context, string, string) (net.Conn, error) {
		dials.Add(1)
		a, _ := net.Pipe()
		return a, nil
	}
	silent := func() record.PortResult {
		return record.PortResult{Host: netip.MustParseAddr("192.0.2.1"), Port: 40022, Proto: record.UDP, State: record.OpenFiltered}
	}
	u := silent()
	identify(context.Background(), c, &u)
	alone := dials.Swap(0)
	u = silent()
	identifyForAudit(context.Background(), c, &audit.Config{}, &u)
	if named(u.Service) || dials.Load() != alone || alone == 0 {
		t.Errorf("a silent UDP port: %+v, %d dials, identification alone %d", u.Service, dials.Load(), alone)
	}
}

package cli

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/ajarsec/ajar/fingerprint"
	_ "github.com/ajarsec/ajar/fingerprint/all" // the plugins compiled in
	"github.com/ajarsec/ajar/record"
)

// serviceFlags are the flags of service identification, shared by
// `scan -sV` and `identify`.
type serviceFlags struct {
	timeout, probeTimeout, bannerWait time.Duration
	parallel                          int
}

func (sf *serviceFlags) register(fl *pflag.FlagSet) {
	fl.DurationVar(&sf.timeout, "service-timeout", fingerprint.DefaultTimeout, "longest identification of one port")
	fl.DurationVar(&sf.probeTimeout, "probe-timeout", fingerprint.DefaultProbeTimeout, "longest wait for one identification probe's answer")
	fl.DurationVar(&sf.bannerWait, "banner-wait", fingerprint.DefaultBannerWait, "how long to wait for a service to speak first")
	fl.IntVar(&sf.parallel, "service-parallel", 64, "identify at most `N` ports at once")
}

func (sf *serviceFlags) config() (fingerprint.Config, error) {
	if sf.timeout <= 0 || sf.probeTimeout <= 0 || sf.bannerWait <= 0 {
		return fingerprint.Config{}, usageErrorf("--service-timeout, --probe-timeout and --banner-wait must be positive")
	}
	if sf.parallel < 1 {
		return fingerprint.Config{}, usageErrorf("--service-parallel must be at least 1")
	}
	return fingerprint.Config{Timeout: sf.timeout, ProbeTimeout: sf.probeTimeout, BannerWait: sf.bannerWait}, nil
}

// identifier identifies the services of open ports as the scan finds
// them, a bounded number at a time, and hands each result on when its
// service is known. Results must go to write one at a time: write is
// called under the identifier's lock, as is every call of emit.
type identifier struct {
	cfg   fingerprint.Config
	sem   chan struct{}
	wg    sync.WaitGroup
	mu    sync.Mutex
	write func(*record.PortResult)
	// warn, when set, hears of ports that could not be reached.
	warn func(r *record.PortResult, err error)
}

func newIdentifier(cfg fingerprint.Config, parallel int, write func(*record.PortResult)) *identifier {
	return &identifier{cfg: cfg, sem: make(chan struct{}, parallel), write: write}
}

// emit writes a result that needs no identification.
func (id *identifier) emit(r *record.PortResult) {
	id.mu.Lock()
	defer id.mu.Unlock()
	id.write(r)
}

// submit identifies r's service, when its port is open, and then writes
// it. It blocks while the pool is full. r is copied: the caller may reuse
// it.
func (id *identifier) submit(ctx context.Context, r *record.PortResult) {
	// A silent UDP port may be open: a service's own probe can make it
	// answer, as nmap -sV does.
	if r.State != record.Open && !(r.State == record.OpenFiltered && r.Proto == record.UDP) {
		id.emit(r)
		return
	}
	cp := *r
	select {
	case id.sem <- struct{}{}:
	case <-ctx.Done():
		id.emit(&cp)
		return
	}
	id.wg.Add(1)
	go func() {
		defer id.wg.Done()
		defer func() { <-id.sem }()
		id.identify(ctx, &cp)
		id.emit(&cp)
	}()
}

// identify fills r.Service with what identification found, and keeps the
// port table's guess when it found nothing.
func (id *identifier) identify(ctx context.Context, r *record.PortResult) {
	t := fingerprint.Target{Addr: netipAddrPort(r), Proto: r.Proto, Host: r.Hostname}
	svc, err := id.cfg.Identify(ctx, t)
	switch {
	case err == nil && svc != nil:
		r.Service = svc
		if r.State == record.OpenFiltered {
			r.State, r.Reason = record.Open, record.ReasonUDPResponse
		}
	case err != nil && !errors.Is(err, fingerprint.ErrNoMatch) && ctx.Err() == nil && id.warn != nil:
		id.mu.Lock()
		id.warn(r, err)
		id.mu.Unlock()
	}
}

// wait blocks until every submitted port is identified and written.
func (id *identifier) wait() { id.wg.Wait() }

func netipAddrPort(r *record.PortResult) netip.AddrPort { return netip.AddrPortFrom(r.Host, r.Port) }

package audit

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

type funcCheck struct {
	info Info
	run  func(ctx context.Context, t *Target) ([]record.Finding, error)
}

func (c funcCheck) Info() Info { return c.info }
func (c funcCheck) Run(ctx context.Context, t *Target) ([]record.Finding, error) {
	return c.run(ctx, t)
}

func finding(id string, sev record.Severity) record.Finding {
	return record.Finding{ID: id, Category: record.NoAuth, Severity: sev, Title: id, Confidence: record.Confirmed}
}

// counting returns a check of svc that counts its runs and finds one
// finding named after it.
func counting(name string, n *atomic.Int32, svcs ...string) funcCheck {
	return funcCheck{info: Info{Name: name, Services: svcs, Proto: portspec.TCP},
		run: func(context.Context, *Target) ([]record.Finding, error) {
			n.Add(1)
			return []record.Finding{finding(name, record.High)}, nil
		}}
}

func TestRegisterPanics(t *testing.T) {
	ok := funcCheck{info: Info{Name: "a", Services: []string{"redis"}, Proto: portspec.TCP}}
	for name, c := range map[string]funcCheck{
		"empty name":  {info: Info{Services: []string{"redis"}, Proto: portspec.TCP}},
		"upper case":  {info: Info{Name: "A", Services: []string{"redis"}, Proto: portspec.TCP}},
		"no service":  {info: Info{Name: "b", Proto: portspec.TCP}},
		"no protocol": {info: Info{Name: "c", Services: []string{"redis"}}},
		"bad safety":  {info: Info{Name: "d", Services: []string{"redis"}, Proto: portspec.TCP, Safety: 7}},
		"duplicate":   ok,
	} {
		t.Run(name, func(t *testing.T) {
			var r Registry
			r.Register(ok)
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%+v) did not panic", c.info)
				}
			}()
			r.Register(c)
		})
	}
}

func TestChecksCompiledInAreValid(t *testing.T) {
	// The core alone registers nothing; audit/all's test lists them.
	for _, c := range Checks() {
		if c.Info().Name == "" {
			t.Errorf("check without a name: %T", c)
		}
	}
}

// TestOnlyApplicableChecksRun: a check for another service, or for a
// name only guessed from the port table, never runs.
func TestOnlyApplicableChecksRun(t *testing.T) {
	var redis, ftp, tlsRuns, udp atomic.Int32
	tlsCheck := counting("tls-x", &tlsRuns)
	tlsCheck.info.TLS = true
	udpCheck := counting("udp-redis", &udp, "redis")
	udpCheck.info.Proto = portspec.UDP
	var r Registry
	r.Register(counting("redis-x", &redis, "redis"))
	r.Register(counting("ftp-x", &ftp, "ftp"))
	r.Register(tlsCheck)
	r.Register(udpCheck)
	cfg := Config{Checks: r.Checks()}
	at := netip.MustParseAddrPort("127.0.0.1:80") // Redis on port 80 is still Redis
	for _, tc := range []struct {
		svc                *record.Service
		redis, ftp, tls, n int32
	}{
		{&record.Service{Name: "redis", Method: "probe"}, 1, 0, 0, 1},
		{&record.Service{Name: "ftp", Method: "probe"}, 1, 1, 0, 1},
		{&record.Service{Name: "redis", Method: "port-table"}, 1, 1, 0, 0},
		{&record.Service{Name: "http", Method: "probe", Tunnel: "ssl"}, 1, 1, 1, 1},
		{&record.Service{Name: "imap", Method: "probe", TLS: &record.TLS{StartTLS: "STARTTLS"}}, 1, 1, 2, 1},
		{nil, 1, 1, 2, 0},
	} {
		fs, err := cfg.Audit(context.Background(), Target{Addr: at, Proto: portspec.TCP, Service: tc.svc})
		if err != nil {
			t.Fatal(err)
		}
		if redis.Load() != tc.redis || ftp.Load() != tc.ftp || tlsRuns.Load() != tc.tls || len(fs) != int(tc.n) {
			t.Errorf("after %+v: redis %d ftp %d tls %d runs, %d findings; want %d %d %d, %d",
				tc.svc, redis.Load(), ftp.Load(), tlsRuns.Load(), len(fs), tc.redis, tc.ftp, tc.tls, tc.n)
		}
	}
	if udp.Load() != 0 {
		t.Errorf("a UDP check ran on a TCP port")
	}
}

func TestIntrusiveOnlyWhenAsked(t *testing.T) {
	var n atomic.Int32
	c := counting("relay", &n, "smtp")
	c.info.Safety = Intrusive
	tgt := Target{Proto: portspec.TCP, Service: &record.Service{Name: "smtp", Method: "probe"}}
	if _, err := (Config{Checks: []Check{c}}).Audit(context.Background(), tgt); err != nil || n.Load() != 0 {
		t.Fatalf("safe audit: %d runs, %v", n.Load(), err)
	}
	if _, err := (Config{Checks: []Check{c}, Intrusive: true}).Audit(context.Background(), tgt); err != nil || n.Load() != 1 {
		t.Fatalf("intrusive audit: %d runs, %v", n.Load(), err)
	}
}

// TestResults: findings come worst first; ErrNotApplicable is silence;
// a failure is wrapped with the check's name and does not stop the
// others; a malformed finding is an error, never written.
func TestResults(t *testing.T) {
	boom := errors.New("boom")
	mk := func(name string, fs []record.Finding, err error) Check {
		return funcCheck{info: Info{Name: name, Services: []string{"x"}, Proto: portspec.TCP},
			run: func(context.Context, *Target) ([]record.Finding, error) { return fs, err }}
	}
	bad := finding("bad", record.High)
	bad.Category = "nonsense"
	long := finding("long", record.Info)
	long.Evidence = strings.Repeat("A", 5000)
	cfg := Config{Checks: []Check{
		mk("a", []record.Finding{finding("low", record.Low), long}, nil),
		mk("b", nil, ErrNotApplicable),
		mk("c", nil, boom),
		mk("d", []record.Finding{finding("crit", record.Critical)}, nil),
		mk("e", []record.Finding{bad}, nil),
	}}
	fs, err := cfg.Audit(context.Background(), Target{Proto: portspec.TCP, Service: &record.Service{Name: "x"}})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "check c ") {
		t.Errorf("error %v: want boom wrapped with check c", err)
	}
	if err == nil || !strings.Contains(err.Error(), "nonsense") {
		t.Errorf("error %v: want the bad category reported", err)
	}
	var ids []string
	for _, f := range fs {
		ids = append(ids, f.ID)
	}
	if got := strings.Join(ids, ","); got != "crit,low,long" {
		t.Errorf("findings %s, want crit,low,long", got)
	}
	if n := len(fs[2].Evidence); n > record.MaxEvidence || !strings.HasSuffix(fs[2].Evidence, "…") {
		t.Errorf("evidence of %d bytes, want at most %d, cut", n, record.MaxEvidence)
	}
}

// hostile starts a loopback server that treats each connection with
// serve.
func hostile(t *testing.T, serve func(net.Conn)) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				serve(c)
			}()
		}
	}()
	return netip.MustParseAddrPort(ln.Addr().String())
}

// greedy reads until the server closes: what a careless check does.
var greedy = funcCheck{info: Info{Name: "greedy", Services: []string{"x"}, Proto: portspec.TCP},
	run: func(ctx context.Context, t *Target) ([]record.Finding, error) {
		c, err := t.DialPlain(ctx)
		if err != nil {
			return nil, err
		}
		defer c.Close()
		b, err := ReadUntil(c, func([]byte) bool { return false }, 1<<30)
		return []record.Finding{{ID: "read", Title: "read", Category: record.InfoLeak, Severity: record.Info,
			Confidence: record.Confirmed, Evidence: string(rune('0' + len(b)/1024))}}, err
	}}

// TestBudgetEndlessStream: a server that sends forever costs the check
// its byte budget, and no more.
func TestBudgetEndlessStream(t *testing.T) {
	junk := make([]byte, 8192)
	addr := hostile(t, func(c net.Conn) {
		for i := 0; i < 100000; i++ { // bounded: 800 MB at most
			if _, err := c.Write(junk); err != nil {
				return
			}
		}
	})
	cfg := Config{Checks: []Check{greedy}, MaxBytes: 5 << 10, Timeout: 10 * time.Second}
	start := time.Now()
	fs, err := cfg.Audit(context.Background(), Target{Addr: addr, Proto: portspec.TCP, Service: &record.Service{Name: "x"}})
	if !errors.Is(err, ErrBudget) {
		t.Fatalf("error %v, want ErrBudget", err)
	}
	if len(fs) != 1 || fs[0].Evidence != "5" {
		t.Errorf("findings %+v: want 5 KiB read", fs)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

// TestBudgetSilence: a server that never speaks costs the check its time
// budget, and no more.
func TestBudgetSilence(t *testing.T) {
	addr := hostile(t, func(c net.Conn) {
		var b [1]byte
		c.Read(b[:]) // until the check gives up
	})
	cfg := Config{Checks: []Check{greedy}, Timeout: 300 * time.Millisecond}
	start := time.Now()
	_, err := cfg.Audit(context.Background(), Target{Addr: addr, Proto: portspec.TCP, Service: &record.Service{Name: "x"}})
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("error %v, want a deadline", err)
	}
	if d := time.Since(start); d < 250*time.Millisecond || d > 3*time.Second {
		t.Errorf("took %v, want about 300ms", d)
	}
}

// TestCancelled: a cancelled audit runs no more checks.
func TestCancelled(t *testing.T) {
	var n atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cfg := Config{Checks: []Check{counting("a", &n, "x")}}
	cfg.Audit(ctx, Target{Proto: portspec.TCP, Service: &record.Service{Name: "x"}})
	if n.Load() != 0 {
		t.Errorf("%d checks ran after cancel", n.Load())
	}
}

func TestEvidence(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"+PONG\r\n", `+PONG\r\n`},
		{"a\x00b\x7f", `a\x00b\x7f`},
		{"\xff\xfeok", `\xff\xfeok`},
		{"é", "é"},
		{"", ""},
	} {
		if got := Evidence([]byte(tc.in)); got != tc.want {
			t.Errorf("Evidence(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := Evidence([]byte(strings.Repeat("\x01", 1000))); len(got) > record.MaxEvidence {
		t.Errorf("Evidence of 1000 control bytes is %d bytes", len(got))
	}
}

func FuzzEvidence(f *testing.F) {
	f.Add([]byte("+PONG\r\n\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if got := Evidence(b); len(got) > record.MaxEvidence {
			t.Fatalf("%d bytes", len(got))
		}
	})
}

package target

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// fakeResolver answers from a table, the way net.Resolver does: only the
// asked-for family, and *net.DNSError for unknown names.
type fakeResolver struct {
	hosts    map[string][]netip.Addr
	inFlight atomic.Int32
	maxSeen  atomic.Int32
	calls    atomic.Int32
	gate     chan struct{} // if set, each lookup waits for a token
}

func (f *fakeResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	f.calls.Add(1)
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for {
		m := f.maxSeen.Load()
		if n <= m || f.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	var out []netip.Addr
	for _, a := range f.hosts[host] {
		if network == "ip" || (network == "ip4") == a.Unmap().Is4() {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return out, nil
}

func newFake() *fakeResolver {
	return &fakeResolver{hosts: map[string][]netip.Addr{
		"dual.example": {mustAddr("2001:db8::10"), mustAddr("2001:db8::11"), mustAddr("::ffff:192.0.2.10"), mustAddr("192.0.2.11")},
		"v6.example":   {mustAddr("2001:db8::20"), mustAddr("2001:db8::21")},
		"v4.example":   {mustAddr("192.0.2.30")},
		"alias":        {mustAddr("192.0.2.30")},
	}}
}

func TestResolve(t *testing.T) {
	tests := []struct {
		list string
		opts ResolveOptions
		want string
	}{
		{"10.0.0.0/24 2001:db8::/120", ResolveOptions{}, "10.0.0.0/24,2001:db8::/120"},
		{"dual.example", ResolveOptions{}, "192.0.2.10"},
		{"dual.example", ResolveOptions{AllAddresses: true}, "192.0.2.10-11,2001:db8::10-2001:db8::11"},
		{"dual.example", ResolveOptions{Family: IPv6}, "2001:db8::10"},
		{"dual.example", ResolveOptions{Family: IPv6, AllAddresses: true}, "2001:db8::10-2001:db8::11"},
		{"dual.example", ResolveOptions{Family: IPv4, AllAddresses: true}, "192.0.2.10-11"},
		{"v6.example", ResolveOptions{}, "2001:db8::20"},
		{"v6.example 10.0.0.1 v6.example", ResolveOptions{AllAddresses: true}, "10.0.0.1,2001:db8::20-2001:db8::21"},
		{"v4.example 192.0.2.31 alias", ResolveOptions{}, "192.0.2.30-31"},
		{"", ResolveOptions{}, ""},
	}
	for _, tt := range tests {
		specs, err := ParseList(tt.list)
		if err != nil {
			t.Fatal(err)
		}
		fake := newFake()
		tt.opts.Resolver = fake
		s, err := Resolve(context.Background(), specs, tt.opts)
		if err != nil || s.String() != tt.want {
			t.Errorf("Resolve(%q, %+v) = %q, %v; want %q", tt.list, tt.opts, s, err, tt.want)
		}
	}
}

func TestResolveNames(t *testing.T) {
	specs, err := ParseList("v4.example alias 192.0.2.1 dual.example")
	if err != nil {
		t.Fatal(err)
	}
	fake := newFake()
	s, err := Resolve(context.Background(), specs, ResolveOptions{Resolver: fake, AllAddresses: true})
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]string{
		"192.0.2.30":   "v4.example", // the first name given wins
		"192.0.2.1":    "",
		"192.0.2.10":   "dual.example",
		"2001:db8::11": "dual.example",
	} {
		if got := s.Name(mustAddr(addr)); got != want {
			t.Errorf("Name(%s) = %q, want %q", addr, got, want)
		}
	}
	if got := fake.calls.Load(); got != 3 {
		t.Errorf("%d lookups, want 3 (one per distinct name)", got)
	}
}

func TestResolveErrors(t *testing.T) {
	specs, err := ParseList("10.0.0.1 nowhere.example v4.example v6.example")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Resolve(context.Background(), specs, ResolveOptions{Resolver: newFake(), Family: IPv4})
	var le *LookupError
	if !errors.As(err, &le) {
		t.Fatalf("error %v is not a *LookupError", err)
	}
	msg := err.Error()
	for _, want := range []string{`resolving "nowhere.example": lookup nowhere.example: no such host`, `resolving "v6.example"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
	var dnsErr *net.DNSError
	if !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
		t.Errorf("error %v does not wrap a not-found *net.DNSError", err)
	}
	// The rest is still there, for a caller that warns and goes on.
	if s.String() != "10.0.0.1,192.0.2.30" {
		t.Errorf("partial set = %q", s)
	}

	_, err = Resolve(context.Background(), []Spec{MustParseSpec("10.0.0.0/24")}, ResolveOptions{Family: IPv6})
	if err == nil || err.Error() != "target 10.0.0.0/24 is IPv4, but only IPv6 was asked for" {
		t.Errorf("wrong family: %v", err)
	}
	_, err = Resolve(context.Background(), []Spec{{}}, ResolveOptions{})
	if err == nil || !strings.Contains(err.Error(), "invalid") {
		t.Errorf("zero Spec: %v", err)
	}

	// A resolver that answers with nothing usable.
	_, err = Resolve(context.Background(), []Spec{MustParseSpec("x.example")}, ResolveOptions{Resolver: resolverFunc(
		func(ctx context.Context, network, host string) ([]netip.Addr, error) { return nil, nil })})
	if err == nil || err.Error() != `resolving "x.example": no address` {
		t.Errorf("empty answer: %v", err)
	}
}

type resolverFunc func(ctx context.Context, network, host string) ([]netip.Addr, error)

func (f resolverFunc) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	return f(ctx, network, host)
}

func TestResolveParallel(t *testing.T) {
	fake := newFake()
	var specs []Spec
	for i := range 50 {
		name := fmt.Sprintf("h%d.example", i)
		fake.hosts[name] = []netip.Addr{netip.AddrFrom4([4]byte{192, 0, 2, byte(i)})}
		specs = append(specs, MustParseSpec(name))
	}
	fake.gate = make(chan struct{})
	done := make(chan struct{})
	var s Set
	var err error
	go func() {
		defer close(done)
		s, err = Resolve(context.Background(), specs, ResolveOptions{Resolver: fake, Parallel: 3})
	}()
	for range 50 {
		fake.gate <- struct{}{}
	}
	<-done
	if err != nil || s.String() != "192.0.2.0-49" {
		t.Fatalf("Resolve = %q, %v", s, err)
	}
	if got := fake.maxSeen.Load(); got > 3 {
		t.Errorf("%d lookups at once, want at most 3", got)
	}
}

func TestResolveCancel(t *testing.T) {
	fake := newFake()
	fake.gate = make(chan struct{}) // never opened: lookups wait for ctx
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var err error
	wg.Go(func() {
		_, err = Resolve(ctx, []Spec{MustParseSpec("v4.example"), MustParseSpec("v6.example")}, ResolveOptions{Resolver: fake})
	})
	cancel()
	wg.Wait()
	if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "resolving targets:") {
		t.Errorf("cancelled Resolve: %v", err)
	}
}

// TestResolveLocalhost uses the system resolver, which answers "localhost"
// from /etc/hosts without any DNS traffic.
func TestResolveLocalhost(t *testing.T) {
	s, err := Resolve(context.Background(), []Spec{MustParseSpec("localhost")}, ResolveOptions{Family: IPv4})
	if err != nil {
		t.Fatal(err)
	}
	a := s.At(0)
	if s.Len() != 1 || !a.IsLoopback() || !a.Is4() || s.Name(a) != "localhost" {
		t.Errorf("localhost = %v (%d), name %q", s, s.Len(), s.Name(a))
	}
	s, err = Resolve(context.Background(), []Spec{MustParseSpec("localhost")}, ResolveOptions{AllAddresses: true})
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() == 0 || !s.Contains(netip.MustParseAddr("127.0.0.1")) {
		t.Errorf("localhost, all addresses = %q", s)
	}
	for i := range s.Len() {
		if a := s.At(i); !a.IsLoopback() || s.Name(a) != "localhost" {
			t.Errorf("localhost, all addresses: %v named %q", a, s.Name(a))
		}
	}
}

func TestFamilyString(t *testing.T) {
	for f, want := range map[Family]string{AnyFamily: "any", IPv4: "IPv4", IPv6: "IPv6", 7: "family(7)"} {
		if f.String() != want {
			t.Errorf("Family(%d) = %q, want %q", f, f, want)
		}
	}
}

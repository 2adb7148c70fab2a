package target

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
)

// Family limits targets to one address family (nmap's -4 and -6).
type Family uint8

// The families; the zero value takes both.
const (
	AnyFamily Family = iota
	IPv4
	IPv6
)

func (f Family) String() string {
	switch f {
	case AnyFamily:
		return "any"
	case IPv4:
		return "IPv4"
	case IPv6:
		return "IPv6"
	}
	return fmt.Sprintf("family(%d)", uint8(f))
}

func (f Family) network() string {
	switch f {
	case IPv4:
		return "ip4"
	case IPv6:
		return "ip6"
	}
	return "ip"
}

func (f Family) has(a netip.Addr) bool {
	return f == AnyFamily || (f == IPv4) == a.Is4()
}

// Resolver looks hostnames up. *net.Resolver is one; tests pass their own.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// DefaultParallel is how many lookups Resolve runs at once unless told.
const DefaultParallel = 8

// ResolveOptions configure Resolve. The zero value resolves each hostname
// to one address with net.DefaultResolver, DefaultParallel at a time.
type ResolveOptions struct {
	// AllAddresses takes every A and AAAA address of a hostname instead
	// of one (--all-addresses). Exclusions should be resolved with it
	// set, so that no address of an excluded name is scanned.
	AllAddresses bool
	// Family restricts targets to IPv4 or IPv6: hostnames are looked up
	// in that family only, and literal targets of the other family are
	// an error.
	Family Family
	// Resolver looks hostnames up; nil means net.DefaultResolver.
	Resolver Resolver
	// Parallel bounds the lookups in flight; 0 means DefaultParallel.
	Parallel int
}

// LookupError is the failure to resolve one hostname.
type LookupError struct {
	Host string
	Err  error
}

func (e *LookupError) Error() string { return fmt.Sprintf("resolving %q: %v", e.Host, e.Err) }
func (e *LookupError) Unwrap() error { return e.Err }

// errNoAddress is a lookup that answered with no usable address.
var errNoAddress = errors.New("no address")

// Resolve turns specs into a Set, looking hostnames up. Without
// AllAddresses a hostname gives one address: its first IPv4 address, or
// failing that its first IPv6 one (with Family set, its first of that
// family). Set.Name gives back the hostname of each resolved address.
//
// If some hostnames fail to resolve, Resolve returns the set of every
// other target together with an error joining one *LookupError per failed
// name: the caller may report them and scan the rest, as nmap does. Any
// other error (a target of the wrong family, ctx done) comes with the
// empty Set. Resolve does not check the set's size; see Set.CheckLen.
func Resolve(ctx context.Context, specs []Spec, opts ResolveOptions) (Set, error) {
	var rs []Range
	var hosts []string
	seen := make(map[string]bool)
	zones, err := zonesOf(specs)
	if err != nil {
		return Set{}, err
	}
	for _, sp := range specs {
		switch sp.kind {
		case KindInvalid:
			return Set{}, errors.New("resolving targets: invalid (zero) target")
		case KindHost:
			if !seen[sp.host] {
				seen[sp.host] = true
				hosts = append(hosts, sp.host)
			}
		default:
			if !opts.Family.has(sp.from) {
				return Set{}, fmt.Errorf("target %s is %s, but only %s was asked for", sp, family(sp.from), opts.Family)
			}
			rs = append(rs, sp.Range())
		}
	}
	addrs, errs := lookupAll(ctx, hosts, opts)
	if err := ctx.Err(); err != nil {
		return Set{}, fmt.Errorf("resolving targets: %w", err)
	}
	names := make(map[netip.Addr]string)
	var failed []error
	for i, h := range hosts {
		if errs[i] != nil {
			failed = append(failed, &LookupError{Host: h, Err: errs[i]})
			continue
		}
		for _, a := range addrs[i] {
			rs = append(rs, Range{a, a})
			if _, ok := names[a]; !ok {
				names[a] = h
			}
		}
	}
	return newSet(normalize(rs), names, zones), errors.Join(failed...)
}

// zonesOf gathers the zones of the link-local addresses among specs,
// checking that each names an interface of this machine (by name or
// index) and that no address comes with two zones.
func zonesOf(specs []Spec) (map[netip.Addr]string, error) {
	var zones map[netip.Addr]string
	for _, sp := range specs {
		if sp.zone == "" {
			continue
		}
		if err := checkZone(sp.zone); err != nil {
			return nil, fmt.Errorf("target %s: %w", sp, err)
		}
		if z, ok := zones[sp.from]; ok && z != sp.zone {
			return nil, fmt.Errorf("target %s is also given as %s: one zone per address", sp, sp.from.WithZone(z))
		}
		if zones == nil {
			zones = make(map[netip.Addr]string)
		}
		zones[sp.from] = sp.zone
	}
	return zones, nil
}

// checkZone reports whether zone names an interface of this machine, by
// name or by index.
func checkZone(zone string) error {
	if n, err := strconv.Atoi(zone); err == nil {
		if _, err := net.InterfaceByIndex(n); err != nil {
			return fmt.Errorf("no interface with index %d here", n)
		}
		return nil
	}
	if _, err := net.InterfaceByName(zone); err != nil {
		return fmt.Errorf("no interface named %q here (see 'ip link')", zone)
	}
	return nil
}

// lookupAll resolves hosts, at most opts.Parallel at a time, into the
// addresses to scan for each, or an error.
func lookupAll(ctx context.Context, hosts []string, opts ResolveOptions) ([][]netip.Addr, []error) {
	addrs := make([][]netip.Addr, len(hosts))
	errs := make([]error, len(hosts))
	if len(hosts) == 0 {
		return addrs, errs
	}
	var r Resolver = net.DefaultResolver
	if opts.Resolver != nil {
		r = opts.Resolver
	}
	workers := opts.Parallel
	if workers <= 0 {
		workers = DefaultParallel
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, len(hosts)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(hosts) || ctx.Err() != nil {
					return
				}
				found, err := r.LookupNetIP(ctx, opts.Family.network(), hosts[i])
				if err == nil {
					found, err = pick(found, opts)
				}
				addrs[i], errs[i] = found, err
			}
		})
	}
	wg.Wait()
	return addrs, errs
}

// pick keeps the addresses to scan of those a lookup found.
func pick(found []netip.Addr, opts ResolveOptions) ([]netip.Addr, error) {
	var keep []netip.Addr
	for _, a := range found {
		// Resolvers may give IPv4 addresses in their IPv4-mapped form.
		a = a.Unmap().WithZone("")
		if a.IsValid() && opts.Family.has(a) {
			keep = append(keep, a)
		}
	}
	switch {
	case len(keep) == 0 && opts.Family == AnyFamily:
		return nil, errNoAddress
	case len(keep) == 0:
		return nil, fmt.Errorf("no %s address", opts.Family)
	case opts.AllAddresses:
		return keep, nil
	}
	for _, a := range keep {
		if a.Is4() {
			return []netip.Addr{a}, nil
		}
	}
	return keep[:1], nil
}

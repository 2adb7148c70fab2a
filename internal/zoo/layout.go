//go:build linux

package zoo

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/ajarsec/ajar/portspec"
)

// NATTable is the nftables table the shuffled layout's redirects live in,
// in the target namespace; netnstest's firewall table is another, so the
// two combine: filter rules see the daemons' real ports.
const NATTable = "ajar_zoo"

// shuffleTries bounds the search for a permutation that moves every
// service to a port of another protocol.
const shuffleTries = 10000

// unmoved are daemons the shuffled layout leaves on their usual port,
// because a redirect changes what they do: tinyproxy, built for
// transparent proxying, reads a redirected connection's original
// destination and relays the request there, to itself.
var unmoved = map[string]bool{"tinyproxy": true}

// shuffle returns the shuffled layout of a usual truth table: the same
// set of ports, each service on a port whose usual service has another
// name. TCP and UDP are shuffled apart.
func shuffle(usual []Service, seed uint64) ([]Service, error) {
	rng := rand.New(rand.NewPCG(seed, 0x7a6f6f))
	var out []Service
	for _, proto := range []portspec.Proto{portspec.TCP, portspec.UDP} {
		var group []Service
		for _, s := range usual {
			switch {
			case s.Proto != proto:
			case unmoved[s.Daemon]:
				out = append(out, s)
			default:
				group = append(group, s)
			}
		}
		moved, err := derange(group, rng)
		if err != nil {
			return nil, err
		}
		out = append(out, moved...)
	}
	sortServices(out)
	return out, nil
}

// derange gives each service of group the port of another one whose name
// differs, trying random permutations.
func derange(group []Service, rng *rand.Rand) ([]Service, error) {
	if len(group) == 0 {
		return nil, nil
	}
	perm := make([]int, len(group))
	for range shuffleTries {
		for i := range perm {
			perm[i] = i
		}
		rng.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		ok := true
		for i, j := range perm {
			if group[i].Name == group[j].Name {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		moved := make([]Service, len(group))
		for i, j := range perm {
			moved[i] = group[i]
			moved[i].Port = group[j].Port
		}
		return moved, nil
	}
	return nil, fmt.Errorf("zoo: no shuffle of %d %v services puts each on another protocol's port",
		len(group), group[0].Proto)
}

// redirect is one nat rule: packets to port From go to port To.
type redirect struct {
	proto    portspec.Proto
	from, to uint16
}

// redirects pairs the shuffled table with the usual one: each service's
// shuffled port leads to its daemon's real port.
func redirects(usual, shuffled []Service) []redirect {
	real := map[string]uint16{}
	key := func(s Service) string {
		return fmt.Sprintf("%s/%s/%s/%v/%v", s.Daemon, s.Proto, s.Name, s.TLS, s.Expired)
	}
	for _, s := range usual {
		real[key(s)] = s.Port
	}
	var rs []redirect
	for _, s := range shuffled {
		if to := real[key(s)]; to != s.Port { // an unmoved service needs none
			rs = append(rs, redirect{proto: s.Proto, from: s.Port, to: to})
		}
	}
	return rs
}

// natScript renders the nft transaction that installs a layout: the table
// is replaced whole, and the usual layout leaves it empty. Redirects run
// in prerouting (what the scanner sends) and output (what the target
// sends itself, to 127.0.0.1).
func natScript(rs []redirect) string {
	var s strings.Builder
	fmt.Fprintf(&s, "table inet %s\ndelete table inet %s\ntable inet %s {\n", NATTable, NATTable, NATTable)
	for _, chain := range []struct{ name, hook string }{{"pre", "prerouting"}, {"out", "output"}} {
		fmt.Fprintf(&s, "\tchain %s {\n\t\ttype nat hook %s priority -100; policy accept;\n", chain.name, chain.hook)
		for _, r := range rs {
			if r.from != r.to {
				fmt.Fprintf(&s, "\t\t%s dport %d redirect to :%d\n", r.proto, r.from, r.to)
			}
		}
		s.WriteString("\t}\n")
	}
	s.WriteString("}\n")
	return s.String()
}

// applyLayout installs a layout's nat rules in the target namespace.
func (z *Zoo) applyLayout(l Layout) error {
	var rs []redirect
	switch l {
	case Usual:
	case Shuffled:
		if z.shuffleErr != nil {
			return z.shuffleErr
		}
		rs = redirects(z.usual, z.shuffled)
	default:
		return fmt.Errorf("zoo: unknown layout %v", l)
	}
	script := natScript(rs)
	cmd := z.Bed.Target.Command("nft", "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("zoo: nft in %s: %v\n%s\nscript:\n%s", z.Bed.Target.Name, err, bytes.TrimSpace(out), script)
	}
	return nil
}

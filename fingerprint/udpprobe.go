package fingerprint

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/ajarsec/ajar/record"
)

// A UDP service stays silent unless it understands what it is sent, so a
// UDP port scan carries, to each well-known port, a request of that
// port's usual protocol, and identification of a silent port tries every
// protocol's request. The requests live with their protocols: each
// fingerprint/<proto> package registers its UDPProbe in init.

// UDPProbe is one UDP protocol's probe: the datagrams that make its
// servers answer, whatever their configuration.
type UDPProbe struct {
	// Name is the service named when the probe is answered: the name of
	// the UDP plugin that recognises the answer.
	Name string
	// Ports are the ports where the service usually lives: a port scan
	// sends Datagrams there. No two probes share a port.
	Ports []uint16
	// Datagrams go out in order, all at once: more than one when
	// different versions of a protocol each answer only their own. A scan
	// sends these very bytes; they must not be changed.
	Datagrams [][]byte
	// OtherPort, when set, accepts a datagram from another port of the
	// probed host if it looks like the service's answer: TFTP answers
	// from a fresh port (RFC 1350 §4). Without it, only replies from the
	// probed port count.
	OtherPort func(reply []byte) bool
	// Rarity orders the probes a silent port gets after its own: 1 is
	// sent first, 9 last.
	Rarity int
	// AnyDatagram, when set, says that the service answers any datagram
	// (echo, daytime, time, chargen): the first answer a port gave to
	// another protocol's probe is judged by it, with the datagram that
	// drew it, before this probe's turn comes.
	AnyDatagram func(sent, reply []byte) (*record.Service, error)
}

// udpProbes holds the probes compiled in. It is written only by init
// functions, through RegisterUDPProbe.
var udpProbes struct {
	sync.RWMutex
	byName map[string]*UDPProbe
	byPort map[uint16]*UDPProbe
}

// maxDatagram is the largest datagram a probe may send: one that fits the
// IPv6 minimum MTU needs no fragments on any path.
const maxDatagram = 1232

// RegisterUDPProbe adds a protocol's probe; it is called from the
// protocol package's init. It panics when two probes share a name or a
// port, or when the probe is incomplete: both are programming errors.
func RegisterUDPProbe(p UDPProbe) {
	if p.Name == "" || p.Name != strings.ToLower(p.Name) {
		panic(fmt.Sprintf("fingerprint: UDP probe name %q must be non-empty lower case", p.Name))
	}
	if len(p.Datagrams) == 0 || p.Rarity < 1 || p.Rarity > 9 {
		panic("fingerprint: UDP probe " + p.Name + " needs datagrams and a rarity from 1 to 9")
	}
	for _, d := range p.Datagrams {
		if len(d) == 0 || len(d) > maxDatagram {
			panic(fmt.Sprintf("fingerprint: UDP probe %s: a datagram of %d bytes", p.Name, len(d)))
		}
	}
	// The table keeps its own copies: nobody can change what a scan sends.
	p.Ports = slices.Clone(p.Ports)
	ds := make([][]byte, len(p.Datagrams))
	for i, d := range p.Datagrams {
		ds[i] = slices.Clone(d)
	}
	p.Datagrams = ds
	udpProbes.Lock()
	defer udpProbes.Unlock()
	if udpProbes.byName == nil {
		udpProbes.byName = make(map[string]*UDPProbe)
		udpProbes.byPort = make(map[uint16]*UDPProbe)
	}
	if _, dup := udpProbes.byName[p.Name]; dup {
		panic("fingerprint: UDP probe registered twice: " + p.Name)
	}
	for _, port := range p.Ports {
		if q, dup := udpProbes.byPort[port]; dup {
			panic(fmt.Sprintf("fingerprint: UDP probes %s and %s both claim port %d", q.Name, p.Name, port))
		}
	}
	pp := &p
	udpProbes.byName[p.Name] = pp
	for _, port := range p.Ports {
		udpProbes.byPort[port] = pp
	}
}

// UDPProbes returns the registered probes, as copies, sorted by rarity
// and then name: the order a silent port gets them in.
func UDPProbes() []UDPProbe {
	udpProbes.RLock()
	defer udpProbes.RUnlock()
	out := make([]UDPProbe, 0, len(udpProbes.byName))
	for _, p := range udpProbes.byName {
		c := *p
		c.Ports = slices.Clone(p.Ports)
		c.Datagrams = make([][]byte, len(p.Datagrams))
		for i, d := range p.Datagrams {
			c.Datagrams[i] = slices.Clone(d)
		}
		out = append(out, c)
	}
	sortProbes(out)
	return out
}

func sortProbes(ps []UDPProbe) {
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].Rarity != ps[j].Rarity {
			return ps[i].Rarity < ps[j].Rarity
		}
		return ps[i].Name < ps[j].Name
	})
}

// probeOrder returns the registry's own probes (never to be written) in
// UDPProbes' order.
func probeOrder() []*UDPProbe {
	udpProbes.RLock()
	out := make([]*UDPProbe, 0, len(udpProbes.byName))
	for _, p := range udpProbes.byName {
		out = append(out, p)
	}
	udpProbes.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Rarity != out[j].Rarity {
			return out[i].Rarity < out[j].Rarity
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// udpProbe returns the probe named name, the registry's own.
func udpProbe(name string) (*UDPProbe, bool) {
	udpProbes.RLock()
	defer udpProbes.RUnlock()
	p, ok := udpProbes.byName[name]
	return p, ok
}

// UDPPayload is what a UDP port scan sends to port: the datagrams of the
// probe that claims it, and its check of replies from another port (nil
// when only the probed port's replies count). A port no probe claims gets
// nil datagrams: the scanner sends an empty one. The datagrams are the
// table's own, shared by every caller: read them, never write them. It
// allocates nothing, and fits the field udp.Prober.Payloads.
func UDPPayload(port uint16) (datagrams [][]byte, otherPort func(reply []byte) bool) {
	udpProbes.RLock()
	p, ok := udpProbes.byPort[port]
	udpProbes.RUnlock()
	if !ok {
		return nil, nil
	}
	return p.Datagrams, p.OtherPort
}

// UDPPayloadPorts lists, in order, the ports that a UDP scan sends a
// protocol's request rather than an empty datagram: the ports it learns
// most from.
func UDPPayloadPorts() []uint16 {
	udpProbes.RLock()
	defer udpProbes.RUnlock()
	ports := make([]uint16, 0, len(udpProbes.byPort))
	for port := range udpProbes.byPort {
		ports = append(ports, port)
	}
	slices.Sort(ports)
	return ports
}

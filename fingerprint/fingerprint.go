// Package fingerprint names the service behind an open port: its protocol,
// product, version and TLS session. Each protocol is a plugin in its own
// package under fingerprint/, which registers itself in init; the list of
// plugins compiled in is fingerprint/all. The core has no switch over
// protocols: it orders the plugins for a port (the port's usual protocols
// first, then what the server said unprompted, then the rest by how common
// they are) and hands each a connection with a time and byte budget.
package fingerprint

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

// ErrNoMatch is what a plugin returns when the peer does not speak its
// protocol. Other errors are real failures (the peer closed, the time ran
// out) and also move identification on to the next plugin.
var ErrNoMatch = errors.New("fingerprint: no match")

// Info describes a plugin to the core.
type Info struct {
	// Name is the service name the plugin reports, lower case (ssh, http).
	Name string
	// Proto is the transport the plugin speaks over.
	Proto portspec.Proto
	// Ports are the ports where the protocol usually runs in clear: there
	// the plugin is tried first.
	Ports []uint16
	// TLSPorts are the ports where the protocol usually runs inside TLS
	// from the first byte (993 for IMAP): there TLS is tried first, then
	// the plugin inside it.
	TLSPorts []uint16
	// ServerFirst says the server speaks first (SSH, FTP, SMTP): the
	// plugin is called only when the connection has a banner, and must
	// decide from Conn.Banner alone, before writing anything, whether the
	// peer speaks its protocol.
	ServerFirst bool
	// Linger is how much longer than the probe timeout the plugin waits
	// for its answer (0: no longer). A server that reads each message
	// whole, blocking on the partial ones (Knot DNS over TCP), is held up
	// by the other probes of a wave whose first bytes look like a long
	// message, and answers only when they give up and close: a plugin of
	// such a protocol lingers past them.
	Linger time.Duration
	// Rarity orders the plugins tried on a port that none of them claims:
	// 1 is tried first (HTTP), 9 last. Server-first plugins cost nothing
	// to try and ignore it.
	Rarity int
}

// Plugin recognises one protocol.
type Plugin interface {
	Info() Info
	// Identify speaks the protocol on c and says what serves it. It
	// returns ErrNoMatch when the peer does not speak it. The returned
	// Service needs only Name, Product, Version, ExtraInfo, CPE and
	// Confidence; the core fills Method, Banner and TLS.
	Identify(ctx context.Context, c *Conn) (*record.Service, error)
}

// registry holds the plugins compiled in. It is written only by init
// functions, through Register.
var registry struct {
	sync.RWMutex
	byName map[string]Plugin
}

// Register adds a plugin; it is called from the plugin package's init. It
// panics when two plugins share a name and protocol, or when Info is
// incomplete: both are programming errors.
func Register(p Plugin) {
	in := p.Info()
	if in.Name == "" || in.Name != strings.ToLower(in.Name) {
		panic(fmt.Sprintf("fingerprint: plugin name %q must be non-empty lower case", in.Name))
	}
	if in.Proto != portspec.TCP && in.Proto != portspec.UDP {
		panic(fmt.Sprintf("fingerprint: plugin %s has no protocol", in.Name))
	}
	if in.ServerFirst && in.Proto == portspec.UDP {
		panic(fmt.Sprintf("fingerprint: UDP plugin %s cannot be server-first", in.Name))
	}
	key := in.Proto.String() + "/" + in.Name
	registry.Lock()
	defer registry.Unlock()
	if registry.byName == nil {
		registry.byName = make(map[string]Plugin)
	}
	if _, dup := registry.byName[key]; dup {
		panic("fingerprint: plugin registered twice: " + key)
	}
	registry.byName[key] = p
}

// Plugins returns the registered plugins for a protocol, sorted by rarity
// and then name, so that every run tries them in the same order.
func Plugins(proto portspec.Proto) []Plugin {
	registry.RLock()
	defer registry.RUnlock()
	var out []Plugin
	for _, p := range registry.byName {
		if p.Info().Proto == proto {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Info(), out[j].Info()
		if a.Rarity != b.Rarity {
			return a.Rarity < b.Rarity
		}
		return a.Name < b.Name
	})
	return out
}

// claims reports whether p is usual on port, in clear or inside TLS.
func claims(p Plugin, port uint16) (clear, tls bool) {
	in := p.Info()
	return slices.Contains(in.Ports, port), slices.Contains(in.TLSPorts, port)
}

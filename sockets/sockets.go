// Package sockets lists this machine's sockets as record.Socket records:
// which ports listen, which processes hold them and which user owns them,
// and from where they can be reached (record.Exposure). List lists once; a
// Poller lists again and again and says what changed, for a caller that
// owns the loop.
//
// On Linux the sockets come from the kernel over netlink sock_diag (as ss
// does), the interfaces over rtnetlink, and the holders from a walk of
// /proc/*/fd. Other systems go through one seam backed by gopsutil.
package sockets

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/ajarsec/ajar/record"
)

// Options says which sockets List returns. The zero value lists listening
// TCP and bound UDP sockets of both families in the caller's network
// namespace, with their owning processes.
type Options struct {
	// NoTCP and NoUDP leave a protocol out.
	NoTCP, NoUDP bool
	// No4 and No6 leave an address family out.
	No4, No6 bool
	// All lists sockets in every state, not just listening TCP and
	// unconnected UDP.
	All bool
	// Netns, when set, lists the sockets of that network namespace: a name
	// from `ip netns` (/run/netns/NAME) or a path such as /proc/PID/ns/net.
	Netns string
	// NoProcesses skips the /proc walk that finds each socket's process.
	NoProcesses bool
	// Cmdline reads each owning process's command line.
	Cmdline bool
}

// Snapshot is what List found.
type Snapshot struct {
	Sockets []record.Socket
	// Hidden counts the processes whose open files could not be read (other
	// users' processes, for a caller without root): sockets they hold have
	// no pid.
	Hidden int
}

// ErrNoNetns is returned when Options.Netns names no network namespace.
var ErrNoNetns = errors.New("no such network namespace")

// List returns this machine's sockets as opts selects, sorted by port, then
// address, protocol and state.
func List(ctx context.Context, opts Options) (Snapshot, error) {
	if err := opts.check(); err != nil {
		return Snapshot{}, err
	}
	l, err := newLister(opts)
	if err != nil {
		return Snapshot{}, err
	}
	defer l.close()
	var buf snapBuf
	hidden, err := l.list(ctx, &buf)
	if err != nil {
		return Snapshot{}, err
	}
	l.release()
	Sort(buf.socks)
	return Snapshot{Sockets: buf.socks, Hidden: hidden}, nil
}

func (opts Options) check() error {
	if opts.NoTCP && opts.NoUDP {
		return errors.New("sockets: both TCP and UDP left out")
	}
	if opts.No4 && opts.No6 {
		return errors.New("sockets: both IPv4 and IPv6 left out")
	}
	return nil
}

// snapBuf holds one listing: the sockets, and the holders they point into.
// A Poller keeps two and reuses them in turn.
type snapBuf struct {
	socks   []record.Socket
	holders []record.Holder
}

// Sort orders sockets by local port, then local address, protocol, state,
// peer and inode: the order ajar prints them in.
func Sort(ss []record.Socket) {
	slices.SortFunc(ss, func(a, b record.Socket) int { return compare(&a, &b) })
}

func compare(a, b *record.Socket) int {
	if c := int(a.Local.Port()) - int(b.Local.Port()); c != 0 {
		return c
	}
	if c := a.Local.Addr().Compare(b.Local.Addr()); c != 0 {
		return c
	}
	if c := int(a.Proto) - int(b.Proto); c != 0 {
		return c
	}
	if c := int(a.State) - int(b.State); c != 0 {
		return c
	}
	if c := a.Peer.Compare(b.Peer); c != 0 {
		return c
	}
	switch {
	case a.Inode < b.Inode:
		return -1
	case a.Inode > b.Inode:
		return 1
	}
	return 0
}

// Filter selects sockets after they are listed. The zero value keeps all.
type Filter struct {
	Ports   func(port uint16) bool // nil keeps every port
	Process string                 // substring of the name of any holder; "" keeps all
	PID     int                    // a pid that holds the socket (any of its holders); 0 keeps all
	Exposed bool                   // keep only sockets other hosts can reach
}

// Match reports whether s passes the filter.
func (f Filter) Match(s *record.Socket) bool {
	if f.Ports != nil && !f.Ports(s.Local.Port()) {
		return false
	}
	if f.PID != 0 && !s.HeldBy(f.PID) {
		return false
	}
	if f.Process != "" && !heldByName(s, f.Process) {
		return false
	}
	if f.Exposed && !s.Exposure.Exposed() {
		return false
	}
	return true
}

// Apply returns the sockets of ss that pass the filter, reusing ss's storage.
func (f Filter) Apply(ss []record.Socket) []record.Socket {
	out := ss[:0]
	for i := range ss {
		if f.Match(&ss[i]) {
			out = append(out, ss[i])
		}
	}
	return out
}

func heldByName(s *record.Socket, name string) bool {
	if strings.Contains(s.Process, name) {
		return true
	}
	for _, h := range s.Holders {
		if strings.Contains(h.Process, name) {
			return true
		}
	}
	return false
}

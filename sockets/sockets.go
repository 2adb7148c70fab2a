// Package sockets lists this machine's sockets: which ports listen, which
// process and user own them, and from where they can be reached.
//
// On Linux the sockets come from the kernel over netlink sock_diag (as ss
// does) and their owners from a walk of /proc/*/fd. Other systems go through
// one seam backed by gopsutil.
package sockets

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/ajarsec/ajar/portspec"
)

// Proto is a transport protocol: the one portspec defines.
type Proto = portspec.Proto

// The protocols a socket can have.
const (
	TCP = portspec.TCP
	UDP = portspec.UDP
)

// State is a socket's state, numbered as the Linux kernel numbers TCP states.
// An unconnected UDP socket is in state Unconn (the kernel's TCP_CLOSE).
type State uint8

// Socket states, with the kernel's numbers.
const (
	Established State = 1
	SynSent     State = 2
	SynRecv     State = 3
	FinWait1    State = 4
	FinWait2    State = 5
	TimeWait    State = 6
	Unconn      State = 7 // TCP_CLOSE: a bound UDP socket, or a closed TCP one
	CloseWait   State = 8
	LastAck     State = 9
	Listen      State = 10
	Closing     State = 11
	NewSynRecv  State = 12
)

var stateNames = [...]string{
	Established: "established",
	SynSent:     "syn-sent",
	SynRecv:     "syn-recv",
	FinWait1:    "fin-wait-1",
	FinWait2:    "fin-wait-2",
	TimeWait:    "time-wait",
	Unconn:      "unconn",
	CloseWait:   "close-wait",
	LastAck:     "last-ack",
	Listen:      "listen",
	Closing:     "closing",
	NewSynRecv:  "new-syn-recv",
}

// String gives the state's name as ajar prints it in JSON: "listen",
// "established", "unconn", "time-wait", ...
func (s State) String() string {
	if int(s) < len(stateNames) && stateNames[s] != "" {
		return stateNames[s]
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// MarshalText implements encoding.TextMarshaler.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *State) UnmarshalText(b []byte) error {
	for i, n := range stateNames {
		if n != "" && n == string(b) {
			*s = State(i)
			return nil
		}
	}
	return fmt.Errorf("unknown socket state %q", b)
}

// Exposure says from where a socket's local address can be reached.
type Exposure uint8

// The exposures, from narrowest to widest.
const (
	// ExposureUnknown is the zero value: not worked out.
	ExposureUnknown Exposure = iota
	// ExposureLoopback: bound to 127.0.0.0/8 or ::1 (or to the loopback
	// device); only this machine can connect.
	ExposureLoopback
	// ExposureLocalLink: bound to one link-local address (169.254.0.0/16,
	// fe80::/10); reachable from that one link only.
	ExposureLocalLink
	// ExposureInterface: bound to one non-loopback address or device;
	// reachable through that interface only.
	ExposureInterface
	// ExposureAll: bound to the wildcard address (0.0.0.0 or ::);
	// reachable on every interface of its family (both, for a dual-stack ::).
	ExposureAll
)

var exposureNames = [...]string{
	ExposureUnknown:   "unknown",
	ExposureLoopback:  "loopback",
	ExposureLocalLink: "local-link",
	ExposureInterface: "interface",
	ExposureAll:       "all",
}

func (e Exposure) String() string {
	if int(e) < len(exposureNames) {
		return exposureNames[e]
	}
	return fmt.Sprintf("exposure(%d)", uint8(e))
}

// MarshalText implements encoding.TextMarshaler.
func (e Exposure) MarshalText() ([]byte, error) { return []byte(e.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (e *Exposure) UnmarshalText(b []byte) error {
	for i, n := range exposureNames {
		if n == string(b) {
			*e = Exposure(i)
			return nil
		}
	}
	return fmt.Errorf("unknown exposure %q", b)
}

// Exposed reports whether other hosts can reach the socket.
func (e Exposure) Exposed() bool { return e > ExposureLoopback }

// Socket is one socket of this machine.
type Socket struct {
	Proto Proto
	Local netip.AddrPort
	Peer  netip.AddrPort // the remote end of a connected socket; zero otherwise
	State State
	// Inode is the socket's inode number, the key that ties it to processes.
	Inode uint64
	UID   uint32 // the socket's owner, as the kernel records it
	User  string // UID's user name, or the number when it has no name

	// PID is the lowest pid that holds the socket open, 0 when no visible
	// process does (another user's process seen without root, or a socket
	// held only by the kernel). Process is that process's name.
	PID     int
	Process string
	Cmdline string // filled only with Options.Cmdline

	// Device is the interface the socket is bound to with SO_BINDTODEVICE
	// or a scope id, "" when none.
	Device string
	// V6Only is true for an IPv6 socket that does not accept IPv4.
	V6Only bool
	// Exposure and Interfaces say from where the socket can be reached:
	// the interfaces whose addresses it accepts connections on.
	Exposure   Exposure
	Interfaces []string
}

// DualStack reports whether the socket is an IPv6 wildcard that also accepts
// IPv4.
func (s *Socket) DualStack() bool {
	return s.Local.Addr().Is6() && s.Local.Addr().IsUnspecified() && !s.V6Only
}

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
	Sockets []Socket
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
	if opts.NoTCP && opts.NoUDP {
		return Snapshot{}, errors.New("sockets: both TCP and UDP left out")
	}
	if opts.No4 && opts.No6 {
		return Snapshot{}, errors.New("sockets: both IPv4 and IPv6 left out")
	}
	snap, err := list(ctx, opts)
	if err != nil {
		return Snapshot{}, err
	}
	Sort(snap.Sockets)
	return snap, nil
}

// Sort orders sockets by local port, then local address, protocol, state,
// peer and inode: the order ajar prints them in.
func Sort(ss []Socket) {
	sort.Slice(ss, func(i, j int) bool { return compare(&ss[i], &ss[j]) < 0 })
}

func compare(a, b *Socket) int {
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
	Process string                 // substring of the process name; "" keeps all
	PID     int                    // 0 keeps all
	Exposed bool                   // keep only sockets other hosts can reach
}

// Match reports whether s passes the filter.
func (f Filter) Match(s *Socket) bool {
	if f.Ports != nil && !f.Ports(s.Local.Port()) {
		return false
	}
	if f.PID != 0 && s.PID != f.PID {
		return false
	}
	if f.Process != "" && !strings.Contains(s.Process, f.Process) {
		return false
	}
	if f.Exposed && !s.Exposure.Exposed() {
		return false
	}
	return true
}

// Apply returns the sockets of ss that pass the filter, reusing ss's storage.
func (f Filter) Apply(ss []Socket) []Socket {
	out := ss[:0]
	for i := range ss {
		if f.Match(&ss[i]) {
			out = append(out, ss[i])
		}
	}
	return out
}

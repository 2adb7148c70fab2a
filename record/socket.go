package record

import (
	"fmt"
	"net/netip"
)

// SocketState is a socket's state, numbered as the Linux kernel numbers TCP
// states. An unconnected UDP socket is in state SocketUnconn (the kernel's
// TCP_CLOSE).
type SocketState uint8

// Socket states, with the kernel's numbers.
const (
	SocketEstablished SocketState = 1
	SocketSynSent     SocketState = 2
	SocketSynRecv     SocketState = 3
	SocketFinWait1    SocketState = 4
	SocketFinWait2    SocketState = 5
	SocketTimeWait    SocketState = 6
	SocketUnconn      SocketState = 7 // TCP_CLOSE: a bound UDP socket, or a closed TCP one
	SocketCloseWait   SocketState = 8
	SocketLastAck     SocketState = 9
	SocketListen      SocketState = 10
	SocketClosing     SocketState = 11
	SocketNewSynRecv  SocketState = 12
)

var socketStateNames = [...]string{
	SocketEstablished: "established",
	SocketSynSent:     "syn-sent",
	SocketSynRecv:     "syn-recv",
	SocketFinWait1:    "fin-wait-1",
	SocketFinWait2:    "fin-wait-2",
	SocketTimeWait:    "time-wait",
	SocketUnconn:      "unconn",
	SocketCloseWait:   "close-wait",
	SocketLastAck:     "last-ack",
	SocketListen:      "listen",
	SocketClosing:     "closing",
	SocketNewSynRecv:  "new-syn-recv",
}

// String gives the state's name as ajar prints it in JSON: "listen",
// "established", "unconn", "time-wait", ...
func (s SocketState) String() string {
	if int(s) < len(socketStateNames) && socketStateNames[s] != "" {
		return socketStateNames[s]
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// MarshalText implements encoding.TextMarshaler.
func (s SocketState) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *SocketState) UnmarshalText(b []byte) error {
	for i, n := range socketStateNames {
		if n != "" && n == string(b) {
			*s = SocketState(i)
			return nil
		}
	}
	return fmt.Errorf("unknown socket state %q", b)
}

// Exposure says from where a socket's local address can be reached.
//
// Linux follows the weak host model: a packet for any of the machine's
// addresses is accepted whichever interface it comes in on. A socket bound
// to the address of one interface is therefore reachable through the
// others too, by any peer that routes that address to this machine
// (rp_filter checks a packet's source address, not its destination, so it
// does not narrow this). Only a socket bound to a device (SO_BINDTODEVICE,
// or the scope of a link-local address) is held to one interface.
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
	// ExposureInterface: bound to one device (SO_BINDTODEVICE); reachable
	// through that interface only, at any of the addresses the socket
	// takes.
	ExposureInterface
	// ExposureAddress: bound to one non-loopback unicast address, and to
	// no device; reachable at that address only, but through every
	// interface (the weak host model), from wherever the address is
	// routed.
	ExposureAddress
	// ExposureAll: bound to the wildcard address (0.0.0.0 or ::);
	// reachable at every address of its family (both, for a dual-stack
	// ::) through every interface.
	ExposureAll
)

var exposureNames = [...]string{
	ExposureUnknown:   "unknown",
	ExposureLoopback:  "loopback",
	ExposureLocalLink: "local-link",
	ExposureInterface: "interface",
	ExposureAddress:   "address",
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

// Holder is one process that holds a socket open.
type Holder struct {
	PID     int
	Process string // the process's name (its comm)
}

// Socket is one socket of this machine.
type Socket struct {
	Proto Proto
	Local netip.AddrPort
	Peer  netip.AddrPort // the remote end of a connected socket; zero otherwise
	State SocketState
	// Inode is the socket's inode number, the key that ties it to processes.
	Inode uint64
	UID   uint32 // the socket's owner, as the kernel records it
	User  string // UID's user name, or the number when it has no name

	// PID is the lowest pid that holds the socket open, 0 when no visible
	// process does (another user's process seen without root, or a socket
	// held only by the kernel). Process is that process's name.
	PID     int
	Process string
	Cmdline string // PID's command line, when it was asked for
	// Holders are all the visible processes that hold the socket open, by
	// pid, lowest first: Holders[0] is PID. A listening socket shared by
	// the processes of a pre-forking server (nginx, apache, a socket
	// activated service and systemd) has several. Empty when PID is 0.
	Holders []Holder

	// Device is the interface the socket is bound to with SO_BINDTODEVICE
	// or a scope id, "" when none.
	Device string
	// V6Only is true for an IPv6 socket that does not accept IPv4.
	V6Only bool
	// Exposure and Interfaces say from where the socket can be reached:
	// the interfaces through which a peer can connect to it.
	Exposure   Exposure
	Interfaces []string
}

// Kind implements Record.
func (*Socket) Kind() string { return "socket" }

// DualStack reports whether the socket is an IPv6 wildcard that also accepts
// IPv4.
func (s *Socket) DualStack() bool {
	return s.Local.Addr().Is6() && s.Local.Addr().IsUnspecified() && !s.V6Only
}

// HeldBy reports whether process pid holds the socket open.
func (s *Socket) HeldBy(pid int) bool {
	if pid == s.PID {
		return pid != 0
	}
	for _, h := range s.Holders {
		if h.PID == pid {
			return true
		}
	}
	return false
}

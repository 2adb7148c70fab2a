// Package watch turns this machine's listening sockets into a stream of
// change events, and delivers events to alert sinks: JSON Lines, a
// webhook (signed, retried), an exec hook and syslog.
//
// Local watches the listeners of one network namespace. The truth is a
// periodic sock_diag dump of the listening sockets only (the kernel
// filters by state), compared with the one before; where the kernel
// allows it (root: CAP_NET_ADMIN), sock_diag's destroy multicast groups
// wake the watcher at once when a socket closes, so closes are seen
// without waiting for the next tick. Owning processes are looked up only
// when a dump shows new sockets, and a closed socket's event carries what
// was known of it when it opened.
package watch

import (
	"net/netip"
	"time"

	"github.com/ajarsec/ajar/record"
)

// The kinds of event.
const (
	Opened = "opened" // a socket started listening
	Closed = "closed" // a listening socket went away
)

// Event is one change of this machine's listeners. Its JSON form (one
// object per line with -o jsonl) is a fixed point that scripts rely on:
// time, event, proto, address, port, pid, process and exposure are always
// there.
type Event struct {
	Time     time.Time       `json:"time"`
	Event    string          `json:"event"` // Opened or Closed
	Proto    record.Proto    `json:"proto"`
	Address  netip.Addr      `json:"address"`
	Port     uint16          `json:"port"`
	PID      int             `json:"pid"` // 0 when no visible process holds it
	Process  string          `json:"process"`
	User     string          `json:"user"`
	Exposure record.Exposure `json:"exposure"`
	// Device is the interface a socket bound to one is held to.
	Device string `json:"device,omitempty"`
	// DualStack: an IPv6 wildcard that also takes IPv4.
	DualStack bool `json:"dual_stack,omitempty"`
	// Netns is the network namespace watched, "" for the watcher's own.
	Netns string `json:"netns,omitempty"`
	// Inode is the socket's inode: a restarted daemon's new socket has a
	// new one.
	Inode uint64 `json:"inode"`
}

// eventOf makes the event of socket s.
func eventOf(kind string, now time.Time, s *record.Socket, netns string) Event {
	return Event{Time: now, Event: kind, Proto: s.Proto, Address: s.Local.Addr(), Port: s.Local.Port(),
		PID: s.PID, Process: s.Process, User: s.User, Exposure: s.Exposure, Device: s.Device,
		DualStack: s.DualStack(), Netns: netns, Inode: s.Inode}
}

//go:build !linux

package sockets

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os/user"
	"runtime"
	"strconv"

	"github.com/ajarsec/ajar/record"
	gnet "github.com/shirou/gopsutil/v4/net"
	"github.com/shirou/gopsutil/v4/process"
)

// lister uses gopsutil: iphlpapi on Windows, lsof on macOS and others. It
// keeps nothing between listings.
type lister struct{ opts Options }

func newLister(opts Options) (*lister, error) {
	if opts.Netns != "" {
		return nil, fmt.Errorf("network namespaces on %s: %w", runtime.GOOS, errors.ErrUnsupported)
	}
	return &lister{opts: opts}, nil
}

func (l *lister) close() error { return nil }
func (l *lister) release()     {}

func (l *lister) list(ctx context.Context, buf *snapBuf) (int, error) {
	snap, err := list(ctx, l.opts)
	buf.socks = snap.Sockets
	return snap.Hidden, err
}

func list(ctx context.Context, opts Options) (Snapshot, error) {
	kind := "inet"
	switch {
	case opts.NoUDP:
		kind = "tcp"
	case opts.NoTCP:
		kind = "udp"
	}
	conns, err := gnet.ConnectionsWithContext(ctx, kind)
	if err != nil {
		return Snapshot{}, fmt.Errorf("listing sockets on %s: %w", runtime.GOOS, err)
	}
	ifaces, err := readIfaces()
	if err != nil {
		return Snapshot{}, err
	}
	exp := newExposer(ifaces)
	var snap Snapshot
	names := map[int32]string{}
	for _, c := range conns {
		s, ok := fromGopsutil(c)
		if !ok || (opts.No4 && s.Local.Addr().Is4()) || (opts.No6 && s.Local.Addr().Is6()) {
			continue
		}
		if !opts.All && s.State != record.SocketListen && !(s.Proto == record.UDP && !s.Peer.IsValid()) {
			continue
		}
		exp.set(&s, 0)
		if c.Pid > 0 && !opts.NoProcesses {
			s.PID = int(c.Pid)
			n, ok := names[c.Pid]
			if !ok {
				if p, err := process.NewProcessWithContext(ctx, c.Pid); err == nil {
					n, _ = p.NameWithContext(ctx) // a process that exits leaves its name empty
				}
				names[c.Pid] = n
			}
			s.Process = n
			s.Holders = []record.Holder{{PID: s.PID, Process: n}}
		}
		if len(c.Uids) > 0 {
			s.UID = uint32(c.Uids[0])
			s.User = strconv.Itoa(int(c.Uids[0]))
			if u, err := user.LookupId(s.User); err == nil {
				s.User = u.Username
			}
		}
		snap.Sockets = append(snap.Sockets, s)
	}
	return snap, nil
}

func fromGopsutil(c gnet.ConnectionStat) (record.Socket, bool) {
	var s record.Socket
	switch c.Type {
	case 1: // SOCK_STREAM
		s.Proto = record.TCP
	case 2: // SOCK_DGRAM
		s.Proto = record.UDP
	default:
		return s, false
	}
	la, err := netip.ParseAddr(c.Laddr.IP)
	if err != nil {
		return s, false
	}
	s.Local = netip.AddrPortFrom(la, uint16(c.Laddr.Port))
	if ra, err := netip.ParseAddr(c.Raddr.IP); err == nil && c.Raddr.Port != 0 {
		s.Peer = netip.AddrPortFrom(ra, uint16(c.Raddr.Port))
	}
	s.State = stateFromName(c.Status, s.Proto, s.Peer.IsValid())
	return s, true
}

func stateFromName(n string, p record.Proto, connected bool) record.SocketState {
	switch n {
	case "LISTEN":
		return record.SocketListen
	case "ESTABLISHED":
		return record.SocketEstablished
	case "SYN_SENT":
		return record.SocketSynSent
	case "SYN_RECV":
		return record.SocketSynRecv
	case "FIN_WAIT1":
		return record.SocketFinWait1
	case "FIN_WAIT2":
		return record.SocketFinWait2
	case "TIME_WAIT":
		return record.SocketTimeWait
	case "CLOSE_WAIT":
		return record.SocketCloseWait
	case "LAST_ACK":
		return record.SocketLastAck
	case "CLOSING":
		return record.SocketClosing
	}
	if p == record.UDP && connected {
		return record.SocketEstablished
	}
	return record.SocketUnconn
}

func processExists(ctx context.Context, pid int) (bool, error) {
	return process.PidExistsWithContext(ctx, int32(pid))
}

// readIfaces reads the interfaces of the calling thread's network namespace.
func readIfaces() (ifaceTable, error) {
	nis, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	t := make(ifaceTable, 0, len(nis))
	for _, ni := range nis {
		ifc := iface{index: ni.Index, name: ni.Name, up: ni.Flags&net.FlagUp != 0, lo: ni.Flags&net.FlagLoopback != 0}
		addrs, err := ni.Addrs()
		if err != nil {
			return nil, err
		}
		for _, a := range addrs {
			if pfx, err := netip.ParsePrefix(a.String()); err == nil {
				ifc.addrs = append(ifc.addrs, pfx.Addr())
			}
		}
		ifc.self = []string{ifc.name}
		t = append(t, ifc)
	}
	return t, nil
}

//go:build !linux

package sockets

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os/user"
	"runtime"
	"strconv"

	gnet "github.com/shirou/gopsutil/v4/net"
	"github.com/shirou/gopsutil/v4/process"
)

// list uses gopsutil: iphlpapi on Windows, lsof on macOS and others.
func list(ctx context.Context, opts Options) (Snapshot, error) {
	if opts.Netns != "" {
		return Snapshot{}, fmt.Errorf("network namespaces on %s: %w", runtime.GOOS, errors.ErrUnsupported)
	}
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
		if !opts.All && s.State != Listen && !(s.Proto == UDP && !s.Peer.IsValid()) {
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

func fromGopsutil(c gnet.ConnectionStat) (Socket, bool) {
	var s Socket
	switch c.Type {
	case 1: // SOCK_STREAM
		s.Proto = TCP
	case 2: // SOCK_DGRAM
		s.Proto = UDP
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

func stateFromName(n string, p Proto, connected bool) State {
	switch n {
	case "LISTEN":
		return Listen
	case "ESTABLISHED":
		return Established
	case "SYN_SENT":
		return SynSent
	case "SYN_RECV":
		return SynRecv
	case "FIN_WAIT1":
		return FinWait1
	case "FIN_WAIT2":
		return FinWait2
	case "TIME_WAIT":
		return TimeWait
	case "CLOSE_WAIT":
		return CloseWait
	case "LAST_ACK":
		return LastAck
	case "CLOSING":
		return Closing
	}
	if p == UDP && connected {
		return Established
	}
	return Unconn
}

func processExists(ctx context.Context, pid int) (bool, error) {
	return process.PidExistsWithContext(ctx, int32(pid))
}

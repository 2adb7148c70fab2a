package syn

import (
	"encoding/binary"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ajarsec/ajar/internal/netnstest"
)

// DelayedResets is a slow peer for tests of late answers (this kernel
// has no netem): from inside ns, it answers every TCP SYN that comes in
// on link to one of ports with a reset, delay later. The caller's
// firewall must drop those SYNs, so that the target's own stack stays
// silent: a packet socket sees them before the firewall does. It stops
// when the test ends; Seen counts the SYNs it saw, by port.
type DelayedResets struct {
	seen [65536]atomic.Uint32
}

// Seen reports how many SYNs to port came in.
func (d *DelayedResets) Seen(port uint16) int { return int(d.seen[port].Load()) }

// StartDelayedResets starts a DelayedResets in ns.
func StartDelayedResets(t testing.TB, ns *netnstest.NS, link string, ports []uint16, delay time.Duration) *DelayedResets {
	t.Helper()
	var rfd, s4, s6 int = -1, -1, -1
	err := ns.Do(func() error {
		ifi, err := net.InterfaceByName(link)
		if err != nil {
			return err
		}
		if rfd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL))); err != nil {
			return os.NewSyscallError("socket", err)
		}
		tv := unix.NsecToTimeval(int64(20 * time.Millisecond))
		if err := unix.SetsockoptTimeval(rfd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
			return err
		}
		if err := unix.Bind(rfd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi.Index}); err != nil {
			return err
		}
		if s4, err = unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW); err != nil {
			return err
		}
		s6, err = unix.Socket(unix.AF_INET6, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW)
		return err
	})
	closeAll := func() {
		for _, fd := range []int{rfd, s4, s6} {
			if fd >= 0 {
				unix.Close(fd)
			}
		}
	}
	if err != nil {
		closeAll()
		t.Fatalf("starting the delayed resetter: %v", err)
	}
	d := &DelayedResets{}
	want := map[uint16]bool{}
	for _, p := range ports {
		want[p] = true
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		buf := make([]byte, 256)
		for {
			select {
			case <-done:
				return
			default:
			}
			n, from, err := unix.Recvfrom(rfd, buf, 0)
			if err != nil {
				continue // the read timeout: look at done again
			}
			if ll, ok := from.(*unix.SockaddrLinklayer); ok && ll.Pkttype == unix.PACKET_OUTGOING {
				continue
			}
			src, dst, seq, ok := parseSYN(buf[:n])
			if !ok || !want[dst.Port()] {
				continue
			}
			d.seen[dst.Port()].Add(1)
			wg.Add(1)
			time.AfterFunc(delay, func() {
				defer wg.Done()
				select {
				case <-done:
					return
				default:
				}
				sendReset(s4, s6, dst, src, seq)
			})
		}
	})
	t.Cleanup(func() {
		close(done)
		wg.Wait()
		closeAll()
	})
	return d
}

// parseSYN reads an IPv4 or IPv6 packet carrying a TCP SYN.
func parseSYN(b []byte) (src, dst netip.AddrPort, seq uint32, ok bool) {
	var sa, da netip.Addr
	var tcp []byte
	switch {
	case len(b) >= ipv4HeaderLen && b[0]>>4 == 4 && b[9] == protoTCP:
		ihl := int(b[0]&0xf) * 4
		sa, da = netip.AddrFrom4([4]byte(b[12:16])), netip.AddrFrom4([4]byte(b[16:20]))
		tcp = b[min(ihl, len(b)):]
	case len(b) >= ipv6HeaderLen && b[0]>>4 == 6 && b[6] == protoTCP:
		sa, da = netip.AddrFrom16([16]byte(b[8:24])), netip.AddrFrom16([16]byte(b[24:40]))
		tcp = b[ipv6HeaderLen:]
	default:
		return
	}
	if len(tcp) < 20 || tcp[13]&(tcpSYN|tcpACK|tcpRST) != tcpSYN {
		return
	}
	be := binary.BigEndian
	return netip.AddrPortFrom(sa, be.Uint16(tcp[0:])), netip.AddrPortFrom(da, be.Uint16(tcp[2:])), be.Uint32(tcp[4:]), true
}

// sendReset sends from local to remote the reset that refuses a SYN
// with sequence number seq: RST and ACK, acknowledging seq+1.
func sendReset(s4, s6 int, local, remote netip.AddrPort, seq uint32) {
	var b [maxSYNLen]byte
	n := buildSYN(b[:], local, remote, 0)
	hl := ipv4HeaderLen
	if local.Addr().Is6() {
		hl = ipv6HeaderLen
	}
	tcp := b[hl:n]
	binary.BigEndian.PutUint32(tcp[8:], seq+1)
	tcp[13] = tcpRST | tcpACK
	binary.BigEndian.PutUint16(tcp[14:], 0)
	binary.BigEndian.PutUint16(tcp[16:], 0)
	binary.BigEndian.PutUint16(tcp[16:], tcpChecksum(local.Addr(), remote.Addr(), tcp))
	if local.Addr().Is4() {
		unix.Sendto(s4, b[:n], 0, &unix.SockaddrInet4{Addr: remote.Addr().As4()}) // a test peer: a lost reset shows as a failed test
		return
	}
	unix.Sendto(s6, b[:n], 0, &unix.SockaddrInet6{Addr: remote.Addr().As16()})
}

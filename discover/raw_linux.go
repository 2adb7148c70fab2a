//go:build linux

package discover

import (
	"errors"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// rawTransport sends discovery's probes on raw sockets: ICMP, ICMPv6 and
// TCP for hosts reached over IP, ARP (AF_PACKET) and NDP (ICMPv6) for
// hosts on local Ethernet links. Every socket is made at open, in the
// network namespace of the thread that opens it.
type rawTransport struct {
	k                        *keys
	icmp4, tcp4, icmp6, tcp6 *sock
	arp                      *sock
	buf                      []byte
	wg                       sync.WaitGroup
}

// htons gives a 16-bit protocol number in network order, as AF_PACKET
// wants it.
func htons(v uint16) uint16 { return v<<8 | v>>8 }

// openRaw opens the raw sockets. An error that denied() recognises means
// the privilege is missing. IPv6 sockets are left out (nil) when the
// kernel has no IPv6.
func openRaw(k *keys) (*rawTransport, error) {
	t := &rawTransport{k: k, buf: make([]byte, 0, 128)}
	var err error
	if t.icmp4, err = openSock(unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_ICMP, "icmp4"); err != nil {
		return nil, err
	}
	steps := []func() error{
		func() error {
			// Let through only what can answer a probe: echo and
			// timestamp replies, and the errors that quote a probe.
			pass := uint32(1<<icmpEchoReply | 1<<icmpUnreachable | 1<<icmpTimeExceeded | 1<<icmpParamProblem | 1<<icmpTimestampReply)
			return sockopt("ICMP_FILTER", unix.SetsockoptInt(t.icmp4.fd, unix.SOL_RAW, unix.ICMP_FILTER, int(int32(^pass))))
		},
		func() (err error) {
			t.tcp4, err = openSock(unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_TCP, "tcp4")
			if err != nil {
				return err
			}
			return attachFilter(t.tcp4.fd, tcpPortFilter(true, k.sport))
		},
		func() (err error) {
			t.arp, err = openSock(unix.AF_PACKET, unix.SOCK_DGRAM, int(htons(unix.ETH_P_ARP)), "arp")
			if err != nil {
				return err
			}
			return attachFilter(t.arp.fd, arpReplyFilter())
		},
		t.openV6,
	}
	for _, step := range steps {
		if err := step(); err != nil {
			t.close()
			return nil, err
		}
	}
	for _, s := range []*sock{t.icmp4, t.tcp4, t.icmp6, t.tcp6} {
		growSendBuffer(s)
	}
	return t, nil
}

// sendBuffer is the send buffer asked for raw IP sockets: probes to hosts
// on a local link wait in it while the kernel resolves their addresses,
// up to three seconds.
const sendBuffer = 4 << 20

// growSendBuffer raises s's send buffer past the system's limit when it
// may (CAP_NET_ADMIN), else up to it. A smaller buffer only makes sends
// wait.
func growSendBuffer(s *sock) {
	if s == nil {
		return
	}
	if unix.SetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, sendBuffer) != nil {
		_ = unix.SetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_SNDBUF, sendBuffer)
	}
}

// openV6 opens the IPv6 sockets, or none when the kernel has no IPv6.
func (t *rawTransport) openV6() (err error) {
	t.icmp6, err = openSock(unix.AF_INET6, unix.SOCK_RAW, unix.IPPROTO_ICMPV6, "icmp6")
	if errors.Is(err, unix.EAFNOSUPPORT) {
		return nil
	}
	if err != nil {
		return err
	}
	var f unix.ICMPv6Filter
	for i := range f.Data {
		f.Data[i] = ^uint32(0) // a set bit blocks its type
	}
	for _, typ := range []uint8{icmp6Unreachable, icmp6TooBig, icmp6TimeExceeded, icmp6ParamProblem, icmp6EchoReply, icmp6NeighAdvert} {
		f.Data[typ>>5] &^= 1 << (typ & 31)
	}
	fd := t.icmp6.fd
	if err := sockopt("ICMPV6_FILTER", unix.SetsockoptICMPv6Filter(fd, unix.IPPROTO_ICMPV6, unix.ICMPV6_FILTER, &f)); err != nil {
		return err
	}
	// Neighbour solicitations must leave with hop limit 255 (RFC 4861
	// §7.1.1), or the target discards them.
	if err := sockopt("IPV6_MULTICAST_HOPS", unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_HOPS, 255)); err != nil {
		return err
	}
	if err := sockopt("IPV6_MULTICAST_LOOP", unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_LOOP, 0)); err != nil {
		return err
	}
	if t.tcp6, err = openSock(unix.AF_INET6, unix.SOCK_RAW, unix.IPPROTO_TCP, "tcp6"); err != nil {
		return err
	}
	// The kernel computes the TCP checksum, over the source address it
	// picks.
	if err := sockopt("IPV6_CHECKSUM", unix.SetsockoptInt(t.tcp6.fd, unix.IPPROTO_IPV6, unix.IPV6_CHECKSUM, 16)); err != nil {
		return err
	}
	return attachFilter(t.tcp6.fd, tcpPortFilter(false, t.k.sport))
}

func sockopt(name string, err error) error {
	if err != nil {
		return errors.Join(errors.New("setsockopt "+name), err)
	}
	return nil
}

// tcpPortFilter is a classic BPF program that keeps only TCP segments to
// our source port: a raw TCP socket otherwise gets a copy of every
// segment the machine receives. An IPv4 raw socket sees the IP header
// first; an IPv6 one starts at the TCP header.
func tcpPortFilter(v4 bool, port uint16) []unix.SockFilter {
	load := []unix.SockFilter{{Code: unix.BPF_LD | unix.BPF_H | unix.BPF_ABS, K: 2}}
	if v4 {
		load = []unix.SockFilter{
			{Code: unix.BPF_LDX | unix.BPF_B | unix.BPF_MSH, K: 0}, // X = IP header length
			{Code: unix.BPF_LD | unix.BPF_H | unix.BPF_IND, K: 2},  // destination port
		}
	}
	return append(load,
		unix.SockFilter{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: 1, K: uint32(port)},
		unix.SockFilter{Code: unix.BPF_RET | unix.BPF_K, K: 0xffff},
		unix.SockFilter{Code: unix.BPF_RET | unix.BPF_K, K: 0},
	)
}

// arpReplyFilter keeps only ARP replies (operation 2).
func arpReplyFilter() []unix.SockFilter {
	return []unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_H | unix.BPF_ABS, K: 6},
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: 1, K: arpReply},
		{Code: unix.BPF_RET | unix.BPF_K, K: 0xffff},
		{Code: unix.BPF_RET | unix.BPF_K, K: 0},
	}
}

func attachFilter(fd int, prog []unix.SockFilter) error {
	fp := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	return sockopt("SO_ATTACH_FILTER", unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &fp))
}

func (t *rawTransport) close() error {
	var errs []error
	for _, s := range []*sock{t.icmp4, t.tcp4, t.icmp6, t.tcp6, t.arp} {
		if s != nil {
			errs = append(errs, s.close())
		}
	}
	t.wg.Wait()
	return errors.Join(errs...)
}

func (t *rawTransport) describe() string {
	return "ARP and NDP on local links; elsewhere ICMP echo and timestamp, ICMPv6 echo, TCP SYN to 443 and TCP ACK to 80 (raw sockets)"
}

// listen starts one reader per socket; each hands what answers a probe
// to out until its socket is closed.
func (t *rawTransport) listen(out chan<- event, done <-chan struct{}) {
	type reader struct {
		s      *sock
		decode func(b []byte, from unix.Sockaddr) (answer, error)
	}
	rs := []reader{
		{t.icmp4, func(b []byte, _ unix.Sockaddr) (answer, error) { return t.k.decodeICMP4(b) }},
		{t.tcp4, func(b []byte, _ unix.Sockaddr) (answer, error) { return t.k.decodeTCP4(b) }},
		{t.icmp6, func(b []byte, sa unix.Sockaddr) (answer, error) { return t.k.decodeICMP6(fromAddr(sa), b) }},
		{t.tcp6, func(b []byte, sa unix.Sockaddr) (answer, error) { return t.k.decodeTCP(fromAddr(sa), b) }},
		{t.arp, func(b []byte, sa unix.Sockaddr) (answer, error) {
			if ll, ok := sa.(*unix.SockaddrLinklayer); ok && ll.Pkttype == unix.PACKET_OUTGOING {
				return answer{}, errNotOurs // our own replies to others
			}
			return decodeARP(b)
		}},
	}
	for _, r := range rs {
		if r.s == nil {
			continue
		}
		t.wg.Go(func() { readLoop(r.s, r.decode, out, done) })
	}
}

// maxPacket bounds what one read takes: answers are small, and anything
// longer is cut, never grown into.
const maxPacket = 2048

// readLoop reads s until it is closed, passing answers on.
func readLoop(s *sock, decode func([]byte, unix.Sockaddr) (answer, error), out chan<- event, done <-chan struct{}) {
	buf := make([]byte, maxPacket)
	for {
		n, from, err := s.recvfrom(buf)
		if err != nil {
			if fatalRecv(err) {
				return
			}
			continue
		}
		a, err := decode(buf[:n], from)
		if err != nil {
			continue
		}
		select {
		case out <- event{answer: a, at: time.Now()}:
		case <-done:
			return
		}
	}
}

// send sends one try's probes to the host p and returns how many packets
// went out.
func (t *rawTransport) send(p *pending) (int, error) {
	dst := p.addr
	switch {
	case p.route.kind == viaNeighbor && dst.Is4():
		t.buf = appendARPRequest(t.buf[:0], p.route.mac, p.route.src, dst)
		sa := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ARP), Ifindex: p.route.ifindex, Halen: 6}
		copy(sa.Addr[:], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
		return 1, t.arp.sendto(t.buf, sa)
	case p.route.kind == viaNeighbor:
		t.buf = appendNeighSolicit(t.buf[:0], dst, p.route.mac)
		return 1, t.icmp6.sendto(t.buf, sockaddr(solicitedNode(dst), 0, p.route.ifindex))
	}
	k := t.k
	cookie := k.cookie(dst)
	seq := uint16(p.tries)
	type pkt struct {
		s *sock
		b func([]byte) []byte
	}
	var pkts []pkt
	src := p.route.src
	if dst.Is4() {
		pkts = []pkt{
			{t.icmp4, func(b []byte) []byte { return appendEcho(b, false, k.id, seq, cookie) }},
			{t.icmp4, func(b []byte) []byte { return appendTimestamp(b, k.id, k.tsSeq(dst), msSinceMidnight()) }},
			{t.tcp4, func(b []byte) []byte {
				return appendTCP(b, src, dst, k.sport, synPort, k.synSeq(dst), 0, tcpSYN)
			}},
			{t.tcp4, func(b []byte) []byte {
				return appendTCP(b, src, dst, k.sport, ackPort, k.synSeq(dst), k.ackAck(dst), tcpACK)
			}},
		}
	} else {
		pkts = []pkt{
			{t.icmp6, func(b []byte) []byte { return appendEcho(b, true, k.id, seq, cookie) }},
			{t.tcp6, func(b []byte) []byte {
				return appendTCP(b, src, dst, k.sport, synPort, k.synSeq(dst), 0, tcpSYN)
			}},
			{t.tcp6, func(b []byte) []byte {
				return appendTCP(b, src, dst, k.sport, ackPort, k.synSeq(dst), k.ackAck(dst), tcpACK)
			}},
		}
	}
	sa := sockaddr(dst, 0, 0)
	var errs []error
	sent := 0
	for _, pk := range pkts {
		if pk.s == nil {
			continue
		}
		t.buf = pk.b(t.buf[:0])
		err := pk.s.sendto(t.buf, sa)
		switch {
		case errors.Is(err, unix.ENOBUFS):
			// The packet went to the link layer, which dropped it:
			// on a local link, the address could not be resolved
			// (ARP or NDP failed). Silence, for that host.
			sent++
		case err != nil:
			errs = append(errs, err)
		default:
			sent++
		}
	}
	if sent > 0 {
		return sent, nil // a probe that went out may still be answered
	}
	return len(pkts), errors.Join(errs...)
}

// msSinceMidnight is the time of day in milliseconds, UTC: an ICMP
// timestamp (RFC 792).
func msSinceMidnight() uint32 {
	now := time.Now().UTC()
	y, m, d := now.Date()
	return uint32(now.Sub(time.Date(y, m, d, 0, 0, 0, 0, time.UTC)).Milliseconds())
}

// hasV6 reports whether IPv6 probes can be sent.
func (t *rawTransport) hasV6() bool { return t.icmp6 != nil }

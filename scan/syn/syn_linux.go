package syn

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/ajarsec/ajar/scan/internal/cancelwatch"
	"github.com/ajarsec/ajar/scan/internal/wheel"
)

const (
	// sendBuffer and recvBuffer size the sockets' kernel buffers: a full
	// scan of a host on a fast link answers tens of thousands of SYNs in
	// a fraction of a second, and what overflows the receive buffer is
	// lost. Raising them past the system's maximum (net.core.rmem_max)
	// needs CAP_NET_ADMIN; without it they get that maximum.
	sendBuffer = 4 << 20
	recvBuffer = 32 << 20
	// recvBatch is how many packets one recvmmsg reads.
	recvBatch = 64
)

// prober holds a scan's sockets, its cookie key and the table that hands
// answers to the workers waiting for them.
type prober struct {
	lo, hi uint16
	key    cookieKey

	send4, send6 *rawSock // IPPROTO_RAW: we write the IP header
	recv         *rawSock // AF_PACKET, SOCK_DGRAM: packets from the IP header on
	routes       *routes
	rx           *receiver
	rxMu         sync.Mutex             // held by whoever reads recv
	wheel        *wheel.Wheel[probeRef] // the deadlines of the probes sent
	late         *lateTable             // probes that gave up, for their late answers
	watch        *cancelwatch.Group     // the contexts whose cancellation settles probes
	epoch        time.Time              // the zero of clock
	tx           txBatch                // SYNs of engine slots' probes, to be sent (batch_linux.go)

	// slots[port-lo] lists the workers sending from port.
	slots []portSlot
	next  atomic.Uint32 // the next worker's port, as an index into slots
	// free holds the workers of Start's probes that are over.
	freeMu sync.Mutex
	free   []*worker
	// slab is workers made and not yet handed out (allocWorker).
	slabMu sync.Mutex
	slab   []worker
	slabN  int // the last slab's size

	closed    atomic.Bool   // set by close, before closing
	closing   chan struct{} // closed by close: the goroutines return
	recvDone  chan struct{} // closed when the receiver has returned
	expDone   chan struct{} // closed when the expirer has returned
	recvErr   error         // why the receiver stopped, when not closed
	closeOnce sync.Once
	closeErr  error

	received, matched, lateN, rescued atomic.Uint64
	noBuffers                         atomic.Uint64
	statsMu                           sync.Mutex
	dropped                           uint64 // guarded by statsMu
}

// rawSock is a non-blocking socket on Go's poller: Control keeps it open
// while a send uses its descriptor, without serializing senders.
type rawSock struct {
	f  *os.File
	rc syscall.RawConn
}

func newRawSock(fd int, name string) (*rawSock, error) {
	f := os.NewFile(uintptr(fd), name)
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &rawSock{f: f, rc: rc}, nil
}

func (s *rawSock) close() error {
	if s == nil {
		return nil
	}
	return s.f.Close()
}

type portSlot struct {
	mu sync.Mutex
	ws []*worker
}

// socketErr wraps a failure to open a raw or packet socket, naming the
// missing privilege when that is the cause.
func socketErr(what string, err error) error {
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
		return fmt.Errorf("syn: opening a %s socket: %w (%w)", what, ErrPrivileges, err)
	}
	return fmt.Errorf("syn: opening a %s socket: %w", what, os.NewSyscallError("socket", err))
}

func available() error {
	for _, s := range []struct {
		what               string
		family, typ, proto int
	}{
		{"raw IPv4", unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_RAW},
		{"packet", unix.AF_PACKET, unix.SOCK_DGRAM, 0},
	} {
		fd, err := unix.Socket(s.family, s.typ|unix.SOCK_CLOEXEC, s.proto)
		if err != nil {
			return socketErr(s.what, err)
		}
		unix.Close(fd)
	}
	return nil
}

func newProber(cfg Config) (_ *prober, err error) {
	p := &prober{lo: cfg.FirstPort, hi: cfg.LastPort, closing: make(chan struct{}), recvDone: make(chan struct{}),
		expDone: make(chan struct{}), epoch: time.Now(), wheel: wheel.New[probeRef](), late: new(lateTable)}
	p.tx.init()
	p.watch = cancelwatch.NewGroup(p.cancelled)
	if p.lo == 0 {
		b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
		if err != nil {
			return nil, fmt.Errorf("syn: reading the ephemeral port range: %w", err)
		}
		elo, ehi, err := parsePortRange(string(b))
		if err != nil {
			return nil, err
		}
		if p.lo, p.hi, err = defaultSourcePorts(elo, ehi); err != nil {
			return nil, err
		}
	}
	var k [16]byte
	if _, err := rand.Read(k[:]); err != nil {
		return nil, err
	}
	p.key = cookieKey{binary.LittleEndian.Uint64(k[:8]), binary.LittleEndian.Uint64(k[8:])}
	p.slots = make([]portSlot, int(p.hi)-int(p.lo)+1)

	defer func() {
		if err != nil {
			p.recv.close()
			p.closeSockets()
		}
	}()
	if p.send4, err = openSend(unix.AF_INET); err != nil {
		return nil, err
	}
	// A machine without IPv6 scans IPv4 all the same.
	if p.send6, err = openSend(unix.AF_INET6); errors.Is(err, unix.EAFNOSUPPORT) {
		p.send6, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	if p.recv, err = openRecv(p.lo, p.hi); err != nil {
		return nil, err
	}
	if p.routes, err = openRoutes(); err != nil {
		return nil, err
	}
	p.rx = newReceiver(p)
	go p.receive()
	go p.expirer()
	return p, nil
}

// clock is the prober's monotonic clock, in nanoseconds.
func (p *prober) clock() int64 { return int64(time.Since(p.epoch)) }

// expirer ends the probes whose time is up. Before it does, it reads what
// the packet socket holds: an answer the kernel had by the deadline
// counts, however late this process gets to read it (a busy machine).
func (p *prober) expirer() {
	defer close(p.expDone)
	t := time.NewTimer(time.Hour)
	t.Stop()
	for {
		tick := p.wheel.Plan()
		if tick < 0 {
			select {
			case <-p.wheel.Kick():
				continue
			case <-p.closing:
				return
			}
		}
		if d := time.Duration(tick*wheel.Tick - p.clock()); d > 0 {
			t.Reset(d)
			select {
			case <-t.C:
			case <-p.wheel.Kick(): // something due earlier
				t.Stop()
				continue
			case <-p.closing:
				t.Stop()
				return
			}
		}
		now := p.clock()
		p.drain()
		p.wheel.Expire(now, expireProbe)
	}
}

func expireProbe(r probeRef, now int64) { r.w.expire(r.gen, now) }

// openSend opens a raw socket of family that sends IP packets we build
// whole (IPPROTO_RAW implies IP_HDRINCL, and IPV6_HDRINCL for IPv6).
func openSend(family int) (*rawSock, error) {
	fd, err := unix.Socket(family, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW)
	if err != nil {
		if err == unix.EAFNOSUPPORT {
			return nil, err
		}
		return nil, socketErr("raw", err)
	}
	setBuffer(fd, unix.SO_SNDBUFFORCE, unix.SO_SNDBUF, sendBuffer)
	// Without IP_RECVERR the kernel hides ENOBUFS from a raw socket's
	// sender (a packet its queue dropped is reported sent): with it the
	// probe is told, and the engine pauses and tries again.
	level, opt := unix.IPPROTO_IP, unix.IP_RECVERR
	if family == unix.AF_INET6 {
		level, opt = unix.IPPROTO_IPV6, unix.IPV6_RECVERR
	}
	if err := unix.SetsockoptInt(fd, level, opt, 1); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("syn: %w", os.NewSyscallError("setsockopt", err))
	}
	return newRawSock(fd, "syn-send")
}

// setBuffer sets a socket buffer's size, forced past the system maximum
// when allowed, else as large as the system allows.
func setBuffer(fd, force, plain, size int) {
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, force, size) != nil {
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, plain, size) // capped at the maximum: best effort
	}
}

// openRecv opens the packet socket that hears the answers: every
// interface's incoming packets, outgoing ones ignored, filtered in the
// kernel by replyFilter. It is bound to its protocol only once the filter
// is in place, so nothing unfiltered is ever queued on it.
func openRecv(lo, hi uint16) (*rawSock, error) {
	prog, err := replyFilter(lo, hi)
	if err != nil {
		return nil, err
	}
	raw, err := bpf.Assemble(prog)
	if err != nil {
		return nil, fmt.Errorf("syn: assembling the reply filter: %w", err)
	}
	filter := make([]unix.SockFilter, len(raw))
	for i, r := range raw {
		filter[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, socketErr("packet", err)
	}
	fprog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &fprog); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("syn: attaching the reply filter: %w", os.NewSyscallError("setsockopt", err))
	}
	// Our own packets never answer us: skip them before the filter runs
	// (Linux 4.20 and later; the receiver checks the packet type too).
	unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1)
	setBuffer(fd, unix.SO_RCVBUFFORCE, unix.SO_RCVBUF, recvBuffer)
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL)}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("syn: binding the packet socket: %w", os.NewSyscallError("bind", err))
	}
	return newRawSock(fd, "syn-recv")
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// receiver holds the buffers of one recvmmsg batch. The receiver's
// goroutine uses it, and so does any worker that finds it free right after
// sending (poll): on a fast link the answer is often there already, and
// the worker that reads it needs no wake-up.
type receiver struct {
	p     *prober
	msgs  [recvBatch]unix.Mmsghdr
	iovs  [recvBatch]unix.Iovec
	names [recvBatch]unix.RawSockaddrLinklayer
	bufs  [recvBatch][snapLen]byte
	err   error
	wait  func(fd uintptr) bool
	poll  func(fd uintptr)
	drain func(fd uintptr)
}

func newReceiver(p *prober) *receiver {
	r := &receiver{p: p}
	for i := range r.msgs {
		r.iovs[i].Base = &r.bufs[i][0]
		r.iovs[i].SetLen(snapLen)
	}
	r.wait = r.readAll
	r.poll = func(fd uintptr) {
		// A few batches at most: the worker has its own probe to wait for.
		for range pollBatches {
			if n, e := r.batch(fd); e != 0 || n < recvBatch {
				return
			}
		}
	}
	r.drain = func(fd uintptr) {
		for range drainBatches {
			if n, e := r.batch(fd); e != 0 || n < recvBatch {
				return
			}
		}
	}
	return r
}

const (
	// pollBatches bounds what a worker reads for others after its send.
	pollBatches = 4
	// drainBatches bounds what the expirer reads before it expires
	// probes: what is queued beyond it is the receiver's to read.
	drainBatches = 64
)

// receive reads answers until the prober is closed.
func (p *prober) receive() {
	defer close(p.recvDone)
	err := p.recv.rc.Read(p.rx.wait)
	select {
	case <-p.closing:
	default:
		if err == nil {
			err = p.rx.err
		}
		p.recvErr = err
	}
}

// poll reads what the packet socket holds, if no one else is reading it.
func (p *prober) poll() {
	if !p.rxMu.TryLock() {
		return
	}
	p.recv.rc.Control(p.rx.poll) // fails only once closed
	p.rxMu.Unlock()
}

// drain reads what the packet socket holds, waiting for whoever reads it.
func (p *prober) drain() {
	p.rxMu.Lock()
	p.recv.rc.Control(p.rx.drain) // fails only once closed
	p.rxMu.Unlock()
}

// readAll runs in the poller's callback: it reads batches until the socket
// is empty (false: wait for more) or the prober closes (true).
func (r *receiver) readAll(fd uintptr) bool {
	for {
		select {
		case <-r.p.closing:
			return true
		default:
		}
		r.p.rxMu.Lock()
		_, e := r.batch(fd)
		r.p.rxMu.Unlock()
		switch e {
		case 0, unix.EINTR:
		case unix.EAGAIN:
			return false
		default:
			r.err = os.NewSyscallError("recvmmsg", e)
			return true
		}
	}
}

// batch reads the packets queued on fd, up to recvBatch, and hands them
// out. The caller holds rxMu.
func (r *receiver) batch(fd uintptr) (int, unix.Errno) {
	for i := range r.msgs {
		r.msgs[i].Hdr = unix.Msghdr{
			Name:    (*byte)(unsafe.Pointer(&r.names[i])),
			Namelen: unix.SizeofSockaddrLinklayer,
			Iov:     &r.iovs[i],
		}
		r.msgs[i].Hdr.SetIovlen(1)
	}
	n, _, e := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&r.msgs[0])), recvBatch, unix.MSG_DONTWAIT, 0, 0)
	if e != 0 {
		return 0, e
	}
	now := r.p.clock()
	for i := range int(n) {
		if r.names[i].Pkttype == unix.PACKET_OUTGOING {
			continue
		}
		l := min(int(r.msgs[i].Len), snapLen)
		r.p.handle(r.bufs[i][:l], now)
	}
	r.p.received.Add(uint64(n))
	return int(n), 0
}

// handle checks one packet and passes it to the probe waiting for it,
// or, when none waits any more, to the table of late answers.
func (p *prober) handle(b []byte, at int64) {
	r, ok := parseReply(b)
	if !ok {
		return
	}
	port := r.local.Port()
	if port < p.lo || port > p.hi || r.seq&^seqTagMask != p.key.seq(r.local, r.remote)&^seqTagMask {
		return // not an answer to a SYN of ours
	}
	p.matched.Add(1)
	a := answer{from: r.remote, heard: heard{at: at, kind: r.kind, icmpType: r.icmpType, icmpCode: r.icmpCode,
		icmpV6: r.icmpV6, tag: uint8(r.seq & seqTagMask)}}
	s := &p.slots[p.homeOf(int(port-p.lo), uint32(a.tag))]
	var to *worker
	s.mu.Lock()
	for _, w := range s.ws {
		if w.active && w.armed == r.remote {
			w.deliver(&a)
			to = w
			break
		}
	}
	s.mu.Unlock()
	if to != nil {
		to.wakeUp()
		return
	}
	p.lateN.Add(1)
	p.late.answered(&a)
}

// tryPort is the port try (tagged in the sequence number) of a probe
// goes out from, for the worker whose own port is slots[home]: the
// tries of one destination spread over the range, a quarter apart.
func (p *prober) tryPort(home int, try uint32) uint16 {
	n := len(p.slots)
	return p.lo + uint16((home+int(try)*(n/(seqTagMask+1)))%n)
}

// homeOf is the index of the slot of the worker that sent try from the
// port slots[i]: tryPort's inverse.
func (p *prober) homeOf(i int, try uint32) int {
	n := len(p.slots)
	return ((i-int(try)*(n/(seqTagMask+1)))%n + n) % n
}

func (p *prober) close() error {
	p.closeOnce.Do(func() {
		p.closed.Store(true)
		close(p.closing)
		// Every probe under way ends; arm lets none start after this.
		var settled []*worker
		for i := range p.slots {
			s := &p.slots[i]
			s.mu.Lock()
			for _, w := range s.ws {
				if w.active {
					w.active, w.res = false, result{kind: resClosed}
					settled = append(settled, w)
				}
			}
			s.mu.Unlock()
		}
		for _, w := range settled {
			w.wakeUp()
		}
		<-p.expDone
		err := p.recv.close()
		<-p.recvDone
		p.closeErr = errors.Join(err, p.closeSockets())
	})
	return p.closeErr
}

// closeSockets closes the sockets but recv, which its receiver's end
// needs closed first.
func (p *prober) closeSockets() error {
	var errs []error
	for _, s := range []*rawSock{p.send4, p.send6} {
		errs = append(errs, s.close())
	}
	if p.routes != nil {
		errs = append(errs, p.routes.close())
	}
	return errors.Join(errs...)
}

// stats reads the counters; the kernel's drop count is read (and reset)
// by getsockopt(PACKET_STATISTICS), so it is added up here.
func (p *prober) stats() Stats {
	p.statsMu.Lock()
	defer p.statsMu.Unlock()
	p.recv.rc.Control(func(fd uintptr) { // fails once closed: the last count stays
		if st, err := unix.GetsockoptTpacketStats(int(fd), unix.SOL_PACKET, unix.PACKET_STATISTICS); err == nil {
			p.dropped += uint64(st.Drops)
		}
	})
	return Stats{Received: p.received.Load(), Matched: p.matched.Load(), Late: p.lateN.Load(), Rescued: p.rescued.Load(), NoBuffers: p.noBuffers.Load(), Dropped: p.dropped}
}

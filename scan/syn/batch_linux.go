package syn

import (
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/ajarsec/ajar/scan/internal/wheel"
)

// txBatchLen is how many SYNs one sendmmsg sends at most.
const txBatchLen = 64

// txBatch holds back the SYNs of an engine slot's probes (asyncWorker),
// armed and waiting to be sent, so that many go out in one sendmmsg per
// address family: the engine's sender starts probes one after another
// as long as it has pace tokens and slots, and flushes the batch before
// it waits (scan.Batcher), or when it is full. Each queued SYN is built
// here, from what its worker's prepare made ready: a worker holds no
// packet of its own, and a probe settled before its SYN went out (its
// context cancelled) frees its worker at once, whose next probe cannot
// overwrite what waits here.
type txBatch struct {
	mu   sync.Mutex
	fam  [2]txQueue // IPv4, IPv6
	due  []wheel.Entry[probeRef]
	msgs [txBatchLen]unix.Mmsghdr
	iovs [txBatchLen]unix.Iovec
	// sendmmsg's arguments and results: msgs[:n]; sent, or errno.
	n, sent  int
	errno    unix.Errno
	sendmmsg func(fd uintptr) // sendmmsgFd
}

type txQueue struct {
	n   int
	pks [txBatchLen]txPacket
	ref [txBatchLen]probeRef
	at  [txBatchLen]int64 // deadlines
}

func (b *txBatch) init() { b.sendmmsg = b.sendmmsgFd }

// queue adds w's packet, for probe gen, to the batch, and sends the
// batch if that filled its family's queue.
func (p *prober) queue(w *worker, gen uint32, timeout time.Duration) {
	b := &p.tx
	fam := 0
	if !w.armed.Addr().Is4() {
		fam = 1
	}
	b.mu.Lock()
	q := &b.fam[fam]
	w.build(&q.pks[q.n])
	q.ref[q.n] = probeRef{w, gen}
	q.at[q.n] = p.clock() + int64(max(timeout, 0))
	q.n++
	if q.n == txBatchLen {
		p.flushLocked()
	}
	b.mu.Unlock()
}

// flush sends what the batch holds.
func (p *prober) flush() {
	p.tx.mu.Lock()
	p.flushLocked()
	p.tx.mu.Unlock()
}

// flushLocked sends both families' queues, puts the deadlines of the
// SYNs sent on the wheel, and settles the probes whose SYN the kernel
// refused. The caller holds tx.mu.
func (p *prober) flushLocked() {
	b := &p.tx
	b.due = b.due[:0]
	for fam := range b.fam {
		q := &b.fam[fam]
		if q.n == 0 {
			continue
		}
		sock := p.send4
		if fam == 1 {
			sock = p.send6
		}
		for k := 0; k < q.n; {
			sent, errno, ok := b.send(sock, q, k)
			if !ok { // the socket is closed: the prober's Close settles them
				break
			}
			for j := k; j < k+sent; j++ {
				b.due = append(b.due, wheel.Entry[probeRef]{At: q.at[j], V: q.ref[j]})
			}
			k += sent
			if errno != 0 {
				r := q.ref[k]
				r.w.settle(r.gen, result{kind: resSendErr, errno: errno})
				k++
			}
		}
		clear(q.ref[:q.n]) // let the workers go
		q.n = 0
	}
	p.wheel.Add(b.due...)
	clear(b.due)
}

// send sends q's packets from k on, in one sendmmsg: it returns how many
// went, and the error of the one after them, if one failed; ok is false
// when sock is closed.
func (b *txBatch) send(sock *rawSock, q *txQueue, k int) (sent int, errno unix.Errno, ok bool) {
	n := q.n - k
	for i := range n {
		pk := &q.pks[k+i]
		b.iovs[i].Base = &pk.buf[0]
		b.iovs[i].SetLen(pk.n)
		b.msgs[i] = unix.Mmsghdr{Hdr: unix.Msghdr{Name: &pk.name[0], Namelen: uint32(pk.namelen), Iov: &b.iovs[i]}}
		b.msgs[i].Hdr.SetIovlen(1)
	}
	b.n = n
	if sock.rc.Control(b.sendmmsg) != nil {
		return 0, 0, false
	}
	if b.sent == 0 && b.errno == 0 {
		b.errno = unix.EAGAIN // not seen: sendmmsg sends one at least, or fails
	}
	return b.sent, b.errno, true
}

// sendmmsgFd sends msgs[:n] on fd, leaving the count sent, or the error,
// in sent and errno; it is the function a rawSock's Control runs, made
// once (a method value), so that a batch allocates nothing.
func (b *txBatch) sendmmsgFd(fd uintptr) {
	b.sent, b.errno = 0, 0
	for {
		r, _, e := unix.Syscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&b.msgs[0])), uintptr(b.n), unix.MSG_DONTWAIT, 0, 0)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			b.errno = e
		} else {
			b.sent = int(r)
		}
		return
	}
}

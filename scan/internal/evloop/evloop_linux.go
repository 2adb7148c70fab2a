// Package evloop is the probers' event loop on Linux: one epoll instance
// and one goroutine that waits on it, for every socket of a prober's
// workers, and a timing wheel of their probes' deadlines. A probe in
// flight is a registered socket and a deadline, not a goroutine.
package evloop

import (
	"errors"
	"os"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/ajarsec/ajar/scan/internal/wheel"
)

// Loop waits for its sockets and its wheel's deadlines. Ready is called
// with a socket's tag when it wakes (edge triggered: once per wake-up of
// the kernel's), and Expire with each deadline that passes, both on the
// loop's goroutine.
type Loop[R any] struct {
	ep      int // the epoll descriptor
	wake    int // an eventfd in ep: a deadline sooner than the loop sleeps for
	epoch   time.Time
	wheel   *wheel.Wheel[R]
	ready   func(tag int32)
	expire  func(R, int64)
	done    chan struct{} // closed when the goroutine has returned
	err     error         // why it stopped, when not closed
	waking  atomic.Bool   // a wake is written and not yet read
	stopped atomic.Bool
}

// maxEvents is how many events one epoll_wait reads.
const maxEvents = 256

// New starts a loop.
func New[R any](ready func(tag int32), expire func(R, int64)) (*Loop[R], error) {
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	wake, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(ep)
		return nil, os.NewSyscallError("eventfd", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: -1}
	if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, wake, &ev); err != nil {
		unix.Close(ep)
		unix.Close(wake)
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	l := &Loop[R]{ep: ep, wake: wake, epoch: time.Now(), wheel: wheel.New[R](), ready: ready, expire: expire, done: make(chan struct{})}
	go l.run()
	go l.kicks()
	return l, nil
}

// Clock is the loop's monotonic clock, in nanoseconds: deadlines are on it.
func (l *Loop[R]) Clock() int64 { return int64(time.Since(l.epoch)) }

// Stopped reports whether Close was called.
func (l *Loop[R]) Stopped() bool { return l.stopped.Load() }

// Add registers fd, edge triggered, for events (unix.EPOLLIN,
// unix.EPOLLOUT): its wake-ups call Ready with tag (0 or more). Closing
// fd takes it out of the loop.
func (l *Loop[R]) Add(fd int, events uint32, tag int32) error {
	ev := unix.EpollEvent{Events: events | unix.EPOLLET, Fd: tag}
	if err := unix.EpollCtl(l.ep, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return os.NewSyscallError("epoll_ctl", err)
	}
	return nil
}

// Due puts r's deadline, at (on Clock), on the wheel.
func (l *Loop[R]) Due(at int64, r R) { l.wheel.Add(wheel.Entry[R]{At: at, V: r}) }

// kicks passes the wheel's kicks (a deadline sooner than the one the
// loop sleeps until) on to the loop, through the eventfd.
func (l *Loop[R]) kicks() {
	for {
		select {
		case <-l.wheel.Kick():
			l.poke()
		case <-l.done:
			return
		}
	}
}

// poke wakes the loop's epoll_wait.
func (l *Loop[R]) poke() {
	if l.waking.Swap(true) {
		return
	}
	one := uint64(1)
	unix.Write(l.wake, (*[8]byte)(unsafe.Pointer(&one))[:])
}

// run waits for sockets and deadlines until the loop is closed.
func (l *Loop[R]) run() {
	defer close(l.done)
	var evs [maxEvents]unix.EpollEvent
	for !l.stopped.Load() {
		timeout := -1
		if tick := l.wheel.Plan(); tick >= 0 {
			timeout = int(max(0, (tick*wheel.Tick-l.Clock()+int64(time.Millisecond)-1)/int64(time.Millisecond)))
		}
		n, err := unix.EpollWait(l.ep, evs[:], timeout)
		if err != nil && err != unix.EINTR {
			l.err = os.NewSyscallError("epoll_wait", err)
			return
		}
		for i := range max(n, 0) {
			tag := evs[i].Fd
			if tag < 0 {
				var b [8]byte
				l.waking.Store(false)
				unix.Read(l.wake, b[:])
				continue
			}
			l.ready(tag)
		}
		l.wheel.Expire(l.Clock(), l.expire)
	}
}

// Close stops the loop and waits for its goroutine: no Ready or Expire
// is called after it returns. The deadlines left on the wheel are
// dropped; the caller settles their probes.
func (l *Loop[R]) Close() error {
	if l.stopped.Swap(true) {
		return nil
	}
	l.poke()
	<-l.done
	return errors.Join(os.NewSyscallError("close", unix.Close(l.ep)), os.NewSyscallError("close", unix.Close(l.wake)))
}

// Err reports why the loop stopped by itself (epoll_wait failed), or nil.
// Read it after Close.
func (l *Loop[R]) Err() error { return l.err }

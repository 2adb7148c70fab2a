package watch

import (
	"os"

	"golang.org/x/sys/unix"

	"github.com/ajarsec/ajar/sockets"
)

// sock_diag's multicast groups (linux/sock_diag.h, enum
// sknetlink_groups): the kernel tells them of every socket destroyed.
const (
	groupTCP4Destroy = 1
	groupUDP4Destroy = 2
	groupTCP6Destroy = 3
	groupUDP6Destroy = 4
)

// destroyWatch is a subscription to the destroy groups: C gets a value
// (coalesced) whenever a socket of the namespace is destroyed. Joining
// the groups needs CAP_NET_ADMIN.
type destroyWatch struct {
	C    <-chan struct{}
	f    *os.File
	done chan struct{}
}

// subscribeDestroy joins the destroy groups in the network namespace
// netns ("" for the caller's own).
func subscribeDestroy(netns string) (*destroyWatch, error) {
	var fd int
	open := func() (err error) {
		fd, err = unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_SOCK_DIAG)
		if err != nil {
			return os.NewSyscallError("socket", err)
		}
		groups := uint32(1<<(groupTCP4Destroy-1) | 1<<(groupUDP4Destroy-1) | 1<<(groupTCP6Destroy-1) | 1<<(groupUDP6Destroy-1))
		if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: groups}); err != nil {
			unix.Close(fd)
			return os.NewSyscallError("bind", err)
		}
		return nil
	}
	var err error
	if netns == "" {
		err = open()
	} else {
		err = sockets.InNetns(netns, open)
	}
	if err != nil {
		return nil, err
	}
	c := make(chan struct{}, 1)
	d := &destroyWatch{C: c, f: os.NewFile(uintptr(fd), "sock_diag destroy"), done: make(chan struct{})}
	go d.read(c)
	return d, nil
}

// read drains the notifications; their content does not matter (the next
// dump is the truth), only that something closed. An overrun (ENOBUFS)
// is a wake-up too.
func (d *destroyWatch) read(c chan<- struct{}) {
	defer close(d.done)
	buf := make([]byte, 32<<10)
	for {
		_, err := d.f.Read(buf)
		if err != nil && err != unix.ENOBUFS && !isENOBUFS(err) {
			return // closed
		}
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

func isENOBUFS(err error) bool {
	pe, ok := err.(*os.PathError)
	return ok && pe.Err == unix.ENOBUFS
}

// Close ends the subscription.
func (d *destroyWatch) Close() error {
	err := d.f.Close()
	<-d.done
	return err
}

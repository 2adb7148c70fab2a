package sockets

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ajarsec/ajar/record"
)

const procRoot = "/proc"

// lister lists the sockets of one network namespace. It keeps its netlink
// socket, opened in that namespace, and its buffers from one listing to the
// next, so that a Poller's listings after the first allocate little.
type lister struct {
	opts   Options
	diag   *diagConn
	links  *linkReader
	chunks [][]record.Socket
	owners ownerTable
	users  map[uint32]string
}

func newLister(opts Options) (*lister, error) {
	l := &lister{opts: opts, users: make(map[uint32]string)}
	open := func() (err error) {
		if l.diag, err = openDiag(); err != nil {
			return err
		}
		if l.links, err = openLinkReader(); err != nil {
			l.diag.Close()
		}
		return err
	}
	var err error
	if opts.Netns != "" {
		err = inNetns(opts.Netns, open)
	} else {
		err = open()
	}
	if err != nil {
		return nil, err
	}
	return l, nil
}

func (l *lister) close() error { return errors.Join(l.diag.Close(), l.links.Close()) }

// chunkLen is the number of sockets gathered in one chunk: the sockets are
// gathered in fixed-size chunks and copied once into a slice of the exact
// size, since append's doubling would allocate about five times the final
// size, and hold twice it at once.
const chunkLen = 1024

// list fills buf with the sockets, unsorted, and returns how many processes
// could not be read.
func (l *lister) list(ctx context.Context, buf *snapBuf) (hidden int, err error) {
	exp, err := l.links.read(ctx)
	if err != nil {
		return 0, err
	}
	for i := range l.chunks {
		l.chunks[i] = l.chunks[i][:0]
	}
	nchunks, total := 0, 0
	collect := func(ds *diagSocket) {
		if nchunks == 0 || len(l.chunks[nchunks-1]) == chunkLen {
			if nchunks == len(l.chunks) {
				l.chunks = append(l.chunks, make([]record.Socket, 0, chunkLen))
			}
			nchunks++
		}
		exp.set(&ds.Socket, ds.ifIndex)
		c := &l.chunks[nchunks-1]
		*c = append(*c, ds.Socket)
		total++
	}
	for _, q := range queries(l.opts) {
		for _, fam := range [2]uint8{unix.AF_INET, unix.AF_INET6} {
			if fam == unix.AF_INET && l.opts.No4 || fam == unix.AF_INET6 && l.opts.No6 {
				continue
			}
			if err := l.diag.dump(ctx, fam, q.proto, q.states, collect); err != nil {
				return 0, err
			}
		}
	}
	if cap(buf.socks) < total {
		buf.socks = make([]record.Socket, 0, total)
	}
	buf.socks = buf.socks[:0]
	for _, c := range l.chunks[:nchunks] {
		buf.socks = append(buf.socks, c...)
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if !l.opts.NoProcesses {
		if hidden, err = l.owners.fill(procRoot, buf, l.opts.Cmdline); err != nil {
			return 0, err
		}
	}
	l.fillUsers(buf.socks)
	return hidden, nil
}

// release lets the garbage collector have the lister's chunks: a one-time
// listing does not keep them.
func (l *lister) release() { l.chunks = nil }

type query struct {
	proto  uint8
	states uint32
}

func queries(opts Options) []query {
	var qs []query
	if !opts.NoTCP {
		states := uint32(1 << record.SocketListen)
		if opts.All {
			states = ^uint32(0)
		}
		qs = append(qs, query{unix.IPPROTO_TCP, states})
	}
	if !opts.NoUDP {
		states := uint32(1 << record.SocketUnconn)
		if opts.All {
			states = ^uint32(0)
		}
		qs = append(qs, query{unix.IPPROTO_UDP, states})
	}
	return qs
}

// fillUsers names each socket's owner, remembering the names it looked up.
func (l *lister) fillUsers(ss []record.Socket) {
	for i := range ss {
		if ss[i].Inode == 0 {
			continue // time-wait and other orphans: the kernel keeps no owner
		}
		uid := ss[i].UID
		n, ok := l.users[uid]
		if !ok {
			n = strconv.FormatUint(uint64(uid), 10)
			if u, err := user.LookupId(n); err == nil {
				n = u.Username
			}
			l.users[uid] = n
		}
		ss[i].User = n
	}
}

// InNetns runs fn on an OS thread moved into the named network namespace
// (a name from `ip netns`, or a path such as /proc/PID/ns/net), for a
// caller that opens a socket of that namespace (a socket stays in the
// namespace it was made in). The thread is thrown away afterwards, never
// moved back. Linux only.
func InNetns(name string, fn func() error) error { return inNetns(name, fn) }

// inNetns runs fn on an OS thread moved into the named network namespace.
// The thread is thrown away afterwards rather than moved back, so no other
// goroutine can ever run in the wrong namespace.
func inNetns(name string, fn func() error) error {
	path := name
	if !strings.ContainsRune(name, '/') {
		path = filepath.Join("/run/netns", name)
	}
	f, err := os.Open(path)
	if err != nil {
		if os.IsNotExist(err) {
			return fmt.Errorf("%w: %s", ErrNoNetns, name)
		}
		return fmt.Errorf("opening network namespace %s: %w", name, err)
	}
	defer f.Close()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			if err == unix.EINVAL {
				errc <- fmt.Errorf("%w: %s is not a network namespace", ErrNoNetns, name)
				return
			}
			errc <- fmt.Errorf("entering network namespace %s: %w", name, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

func processExists(_ context.Context, pid int) (bool, error) {
	_, err := os.Stat(procRoot + "/" + strconv.Itoa(pid))
	if err == nil {
		return true, nil
	}
	if os.IsNotExist(err) {
		return false, nil
	}
	return false, err
}

package sockets

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/ajarsec/ajar/record"
	"golang.org/x/sys/unix"
)

// ownerTable finds the processes that hold sockets open, by walking
// /proc/*/fd as ss -p does. It keeps its buffers, and the names of the
// processes it saw, from one walk to the next.
type ownerTable struct {
	want    map[uint64]struct{} // the inodes looked for
	pids    []int
	dirBuf  []byte
	walkers []*fdWalker
	found   []found // (inode, pid) pairs, sorted
	procs   map[int]*procInfo
	gen     uint64 // the walk procs entries were last seen in
	path    []byte
	file    []byte
}

// found is one process holding one socket.
type found struct {
	inode uint64
	pid   int
}

// fill sets PID, Process, Cmdline and Holders of each socket of buf, and
// returns how many processes' fd tables could not be read.
func (o *ownerTable) fill(proc string, buf *snapBuf, withCmdline bool) (int, error) {
	ss := buf.socks
	if o.want == nil {
		o.want = make(map[uint64]struct{}, len(ss))
		o.procs = make(map[int]*procInfo)
	}
	clear(o.want)
	for i := range ss {
		if ss[i].Inode != 0 {
			o.want[ss[i].Inode] = struct{}{}
		}
	}
	hidden, err := o.walk(proc)
	if err != nil {
		return 0, fmt.Errorf("reading processes: %w", err)
	}
	o.gen++
	// Each socket's holders are one run of found, and inodes are unique:
	// there are at most len(found) holders in all.
	if cap(buf.holders) < len(o.found) {
		buf.holders = make([]record.Holder, 0, len(o.found))
	}
	hs := buf.holders[:0]
	for i := range ss {
		s := &ss[i]
		if s.Inode == 0 {
			continue
		}
		k, ok := slices.BinarySearchFunc(o.found, s.Inode, func(f found, ino uint64) int { return cmp.Compare(f.inode, ino) })
		if !ok {
			continue
		}
		start := len(hs)
		for ; k < len(o.found) && o.found[k].inode == s.Inode; k++ {
			pi := o.info(proc, o.found[k].pid, withCmdline)
			hs = append(hs, record.Holder{PID: o.found[k].pid, Process: pi.name})
		}
		s.Holders = hs[start:len(hs):len(hs)]
		pi := o.procs[s.Holders[0].PID]
		s.PID, s.Process, s.Cmdline = s.Holders[0].PID, pi.name, pi.cmdline
	}
	buf.holders = hs
	for pid, pi := range o.procs {
		if pi.gen != o.gen {
			delete(o.procs, pid) // gone, or holds none of these sockets now
		}
	}
	return hidden, nil
}

// walk reads the open files of every process and collects in o.found,
// sorted, the processes holding the inodes of o.want.
func (o *ownerTable) walk(proc string) (hidden int, err error) {
	if o.pids, err = o.readPids(proc); err != nil {
		return 0, err
	}
	pids := o.pids
	workers := min(max(runtime.GOMAXPROCS(0), 1)*2, len(pids))
	for len(o.walkers) < workers {
		o.walkers = append(o.walkers, newFdWalker(proc))
	}
	var (
		next    atomic.Int64
		nHidden atomic.Int64
		wg      sync.WaitGroup
	)
	for _, w := range o.walkers[:workers] {
		w.found = w.found[:0]
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(pids) {
					return
				}
				pid := pids[i]
				err := w.walk(pid, func(inode uint64) {
					if _, ok := o.want[inode]; ok {
						w.found = append(w.found, found{inode, pid})
					}
				})
				if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) {
					nHidden.Add(1)
				}
				// ENOENT: the process exited while we walked; nothing to see.
			}
		})
	}
	wg.Wait()
	o.found = o.found[:0]
	for _, w := range o.walkers[:workers] {
		o.found = append(o.found, w.found...)
	}
	slices.SortFunc(o.found, func(a, b found) int {
		if c := cmp.Compare(a.inode, b.inode); c != 0 {
			return c
		}
		return cmp.Compare(a.pid, b.pid)
	})
	// A process holding one socket in two fds is one holder.
	o.found = slices.Compact(o.found)
	return int(nHidden.Load()), nil
}

// readPids lists the pids in proc, reading the directory into a reused
// buffer.
func (o *ownerTable) readPids(proc string) ([]int, error) {
	o.path = append(append(o.path[:0], proc...), 0)
	dfd, err := openDir(o.path)
	if err != nil {
		return nil, err
	}
	defer unix.Close(dfd)
	if o.dirBuf == nil {
		o.dirBuf = make([]byte, 32<<10)
	}
	pids := o.pids[:0]
	for {
		n, err := unix.Getdents(dfd, o.dirBuf)
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			return nil, err
		}
		if n <= 0 {
			return pids, nil
		}
		for b := o.dirBuf[:n]; len(b) >= 19; {
			reclen := int(*(*uint16)(unsafe.Pointer(&b[16])))
			if reclen < 19 || reclen > len(b) {
				break
			}
			if pid, ok := atoiName(b[19:reclen]); ok {
				pids = append(pids, pid)
			}
			b = b[reclen:]
		}
	}
}

// atoiName reads a NUL-terminated directory entry name made only of
// digits as a positive number.
func atoiName(name []byte) (int, bool) {
	n := 0
	for i, c := range name {
		if c == 0 {
			return n, i > 0 && n > 0
		}
		if c < '0' || c > '9' || n > 1<<40 {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return 0, false
}

// fdWalker reads the socket inodes of one process's open files with no
// allocation per file: getdents64 on /proc/PID/fd and readlinkat on each
// entry, both into reused buffers.
type fdWalker struct {
	proc   string
	path   []byte
	dirBuf []byte
	link   []byte
	found  []found // what this walker's share of the walk found
}

func newFdWalker(proc string) *fdWalker {
	return &fdWalker{proc: proc, dirBuf: make([]byte, 32<<10), link: make([]byte, 64)}
}

var socketPrefix = []byte("socket:[")

func (w *fdWalker) walk(pid int, fn func(inode uint64)) error {
	w.path = append(w.path[:0], w.proc...)
	w.path = append(w.path, '/')
	w.path = strconv.AppendInt(w.path, int64(pid), 10)
	w.path = append(w.path, "/fd\x00"...)
	dfd, err := openDir(w.path)
	if err != nil {
		return err
	}
	defer unix.Close(dfd)
	for {
		n, err := unix.Getdents(dfd, w.dirBuf)
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			return err
		}
		if n <= 0 {
			return nil
		}
		for b := w.dirBuf[:n]; len(b) >= 19; {
			// struct linux_dirent64: ino u64, off s64, reclen u16, type u8, name.
			reclen := int(*(*uint16)(unsafe.Pointer(&b[16])))
			if reclen < 19 || reclen > len(b) {
				break
			}
			name := b[19:reclen] // NUL-terminated, padded
			b = b[reclen:]
			if name[0] == '.' {
				continue
			}
			l, err := readlinkat(dfd, &name[0], w.link)
			if err != nil || l <= len(socketPrefix)+1 || w.link[l-1] != ']' || !bytes.HasPrefix(w.link[:l], socketPrefix) {
				continue
			}
			var ino uint64
			for _, c := range w.link[len(socketPrefix) : l-1] {
				ino = ino*10 + uint64(c-'0')
			}
			fn(ino)
		}
	}
}

func openDir(path []byte) (int, error) {
	return openat(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC)
}

func openFile(path []byte) (int, error) { return openat(path, unix.O_RDONLY|unix.O_CLOEXEC) }

// openat opens the NUL-terminated path with no allocation.
func openat(path []byte, flags int) (int, error) {
	cwd := unix.AT_FDCWD
	for {
		fd, _, e := unix.Syscall6(unix.SYS_OPENAT, uintptr(cwd), uintptr(unsafe.Pointer(&path[0])),
			uintptr(flags), 0, 0, 0)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return -1, e
		}
		return int(fd), nil
	}
}

// readlinkat reads the link named by the NUL-terminated name in dirfd into buf.
func readlinkat(dirfd int, name *byte, buf []byte) (int, error) {
	n, _, e := unix.Syscall6(unix.SYS_READLINKAT, uintptr(dirfd), uintptr(unsafe.Pointer(name)),
		uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// procInfo is what ajar shows of a process.
type procInfo struct {
	name    string
	cmdline string
	gen     uint64 // the walk that last read it
}

// maxCmdline bounds the command line read of one process: the kernel takes
// command lines of up to about 2 MiB.
const maxCmdline = 32 << 10

// info reads the name (and command line) of pid, once per walk. A name or
// command line unchanged since the last walk keeps its string: reading
// them again allocates nothing.
func (o *ownerTable) info(proc string, pid int, withCmdline bool) *procInfo {
	pi := o.procs[pid]
	if pi == nil {
		pi = &procInfo{}
		o.procs[pid] = pi
	} else if pi.gen == o.gen {
		return pi
	}
	pi.gen = o.gen
	if b, ok := o.read(proc, pid, "/comm"); ok {
		b = bytes.TrimRight(b, "\n")
		if string(b) != pi.name {
			pi.name = string(b)
		}
	} else {
		pi.name = ""
	}
	if !withCmdline {
		return pi
	}
	if b, ok := o.read(proc, pid, "/cmdline"); ok {
		b = bytes.TrimRight(b, "\x00")
		for i, c := range b {
			if c == 0 {
				b[i] = ' '
			}
		}
		if string(b) != pi.cmdline {
			pi.cmdline = string(b)
		}
	} else {
		pi.cmdline = ""
	}
	return pi
}

// read reads up to maxCmdline bytes of proc/PID/name into a reused buffer.
func (o *ownerTable) read(proc string, pid int, name string) ([]byte, bool) {
	o.path = append(o.path[:0], proc...)
	o.path = append(o.path, '/')
	o.path = strconv.AppendInt(o.path, int64(pid), 10)
	o.path = append(o.path, name...)
	o.path = append(o.path, 0)
	fd, err := openFile(o.path)
	if err != nil {
		return nil, false
	}
	defer unix.Close(fd)
	if o.file == nil {
		o.file = make([]byte, maxCmdline)
	}
	n := 0
	for n < len(o.file) {
		m, err := unix.Read(fd, o.file[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, false
		}
		if m == 0 {
			break
		}
		n += m
	}
	return o.file[:n], true
}

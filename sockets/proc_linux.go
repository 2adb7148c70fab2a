package sockets

import (
	"bytes"
	"errors"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// procOwners maps socket inodes to the lowest pid holding each open, by
// walking /proc/*/fd as ss -p does. Only inodes already in owners are
// looked for; owners[inode] is set to the pid (0 stays when none is found).
// It returns how many processes' fd tables could not be read.
func procOwners(proc string, owners map[uint64]int) (hidden int, err error) {
	d, err := os.Open(proc)
	if err != nil {
		return 0, err
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return 0, err
	}
	pids := make([]int, 0, len(names))
	for _, n := range names {
		if pid, err := strconv.Atoi(n); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}

	type found struct {
		inode uint64
		pid   int
	}
	var (
		next     atomic.Int64
		nHidden  atomic.Int64
		mu       sync.Mutex
		allFound []found
		wg       sync.WaitGroup
	)
	workers := min(max(runtime.GOMAXPROCS(0), 1)*2, len(pids))
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []found
			w := newFdWalker(proc)
			for {
				i := int(next.Add(1)) - 1
				if i >= len(pids) {
					break
				}
				pid := pids[i]
				err := w.walk(pid, func(inode uint64) {
					if _, ok := owners[inode]; ok {
						mine = append(mine, found{inode, pid})
					}
				})
				if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) {
					nHidden.Add(1)
				}
				// ENOENT: the process exited while we walked; nothing to see.
			}
			mu.Lock()
			allFound = append(allFound, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	for _, f := range allFound {
		if cur := owners[f.inode]; cur == 0 || f.pid < cur {
			owners[f.inode] = f.pid
		}
	}
	return int(nHidden.Load()), nil
}

// fdWalker reads the socket inodes of one process's open files with no
// allocation per file: getdents64 on /proc/PID/fd and readlinkat on each
// entry, both into reused buffers.
type fdWalker struct {
	proc   string
	path   []byte
	dirBuf []byte
	link   []byte
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
	cwd := unix.AT_FDCWD
	for {
		fd, _, e := unix.Syscall6(unix.SYS_OPENAT, uintptr(cwd), uintptr(unsafe.Pointer(&path[0])),
			uintptr(unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC), 0, 0, 0)
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
}

func readProcInfo(proc string, pid int, withCmdline bool) procInfo {
	dir := proc + "/" + strconv.Itoa(pid)
	var pi procInfo
	if b, err := os.ReadFile(dir + "/comm"); err == nil {
		pi.name = string(bytes.TrimRight(b, "\n"))
	}
	if withCmdline {
		if b, err := os.ReadFile(dir + "/cmdline"); err == nil {
			b = bytes.TrimRight(b, "\x00")
			pi.cmdline = string(bytes.ReplaceAll(b, []byte{0}, []byte{' '}))
		}
	}
	return pi
}

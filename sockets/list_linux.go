package sockets

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

const procRoot = "/proc"

func list(ctx context.Context, opts Options) (Snapshot, error) {
	var (
		diag   *diagConn
		ifaces ifaceTable
		err    error
	)
	if opts.Netns != "" {
		err = inNetns(opts.Netns, func() error {
			if diag, err = openDiag(); err != nil {
				return err
			}
			ifaces, err = readIfaces()
			return err
		})
	} else {
		if diag, err = openDiag(); err == nil {
			ifaces, err = readIfaces()
		}
	}
	if diag != nil {
		defer diag.Close()
	}
	if err != nil {
		return Snapshot{}, err
	}

	// Sockets are gathered in fixed-size chunks and copied once into a
	// slice of the exact size: append's doubling would allocate about
	// five times the final size, and hold twice it at once.
	const chunkLen = 1024
	exp := newExposer(ifaces)
	var (
		chunks [][]Socket
		total  int
	)
	collect := func(ds *diagSocket) {
		if len(chunks) == 0 || len(chunks[len(chunks)-1]) == chunkLen {
			chunks = append(chunks, make([]Socket, 0, chunkLen))
		}
		exp.set(&ds.Socket, ds.ifIndex)
		c := &chunks[len(chunks)-1]
		*c = append(*c, ds.Socket)
		total++
	}
	type query struct {
		proto  uint8
		states uint32
	}
	var queries []query
	if !opts.NoTCP {
		states := uint32(1 << Listen)
		if opts.All {
			states = ^uint32(0)
		}
		queries = append(queries, query{unix.IPPROTO_TCP, states})
	}
	if !opts.NoUDP {
		states := uint32(1 << Unconn)
		if opts.All {
			states = ^uint32(0)
		}
		queries = append(queries, query{unix.IPPROTO_UDP, states})
	}
	for _, q := range queries {
		for _, fam := range families(opts) {
			if err := diag.dump(ctx, fam, q.proto, q.states, collect); err != nil {
				return Snapshot{}, err
			}
		}
	}

	snap := Snapshot{Sockets: make([]Socket, 0, total)}
	for i, c := range chunks {
		snap.Sockets = append(snap.Sockets, c...)
		chunks[i] = nil // the garbage collector may have it now
	}
	if err := ctx.Err(); err != nil {
		return Snapshot{}, err
	}
	if !opts.NoProcesses {
		if snap.Hidden, err = fillOwners(procRoot, snap.Sockets, opts.Cmdline); err != nil {
			return Snapshot{}, err
		}
	}
	fillUsers(snap.Sockets)
	return snap, nil
}

func families(opts Options) []uint8 {
	var f []uint8
	if !opts.No4 {
		f = append(f, unix.AF_INET)
	}
	if !opts.No6 {
		f = append(f, unix.AF_INET6)
	}
	return f
}

// fillOwners sets PID, Process (and Cmdline) of each socket.
func fillOwners(proc string, ss []Socket, withCmdline bool) (int, error) {
	owners := make(map[uint64]int, len(ss))
	for i := range ss {
		if ss[i].Inode != 0 {
			owners[ss[i].Inode] = 0
		}
	}
	hidden, err := procOwners(proc, owners)
	if err != nil {
		return 0, fmt.Errorf("reading processes: %w", err)
	}
	infos := make(map[int]procInfo)
	for i := range ss {
		pid := owners[ss[i].Inode]
		if pid == 0 {
			continue
		}
		pi, ok := infos[pid]
		if !ok {
			pi = readProcInfo(proc, pid, withCmdline)
			infos[pid] = pi
		}
		ss[i].PID, ss[i].Process, ss[i].Cmdline = pid, pi.name, pi.cmdline
	}
	return hidden, nil
}

// fillUsers names each socket's owner.
func fillUsers(ss []Socket) {
	names := make(map[uint32]string)
	for i := range ss {
		if ss[i].Inode == 0 {
			continue // time-wait and other orphans: the kernel keeps no owner
		}
		uid := ss[i].UID
		n, ok := names[uid]
		if !ok {
			n = strconv.FormatUint(uint64(uid), 10)
			if u, err := user.LookupId(n); err == nil {
				n = u.Username
			}
			names[uid] = n
		}
		ss[i].User = n
	}
}

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

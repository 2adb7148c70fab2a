//go:build linux

package watch

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/ajarsec/ajar/record"
)

// Namespaces finds the network namespaces of this machine other than the
// caller's own: those named in /run/netns (ip netns) and those of running
// processes (containers), one path for each, by the namespace's inode.
// Namespaces it may not read are left out.
func Namespaces() ([]string, error) {
	self, err := nsInode("/proc/self/ns/net")
	if err != nil {
		return nil, err
	}
	seen := map[uint64]bool{self: true}
	var out []string
	add := func(path string) {
		if ino, err := nsInode(path); err == nil && !seen[ino] {
			seen[ino] = true
			out = append(out, path)
		}
	}
	named, _ := filepath.Glob("/run/netns/*")
	sort.Strings(named)
	for _, p := range named {
		add(p)
	}
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return out, err
	}
	for _, d := range procs {
		if _, err := strconv.Atoi(d.Name()); err == nil {
			add("/proc/" + d.Name() + "/ns/net")
		}
	}
	return out, nil
}

func nsInode(path string) (uint64, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return 0, err
	}
	return uint64(st.Ino), nil
}

// AllNamespaces watches the caller's network namespace and every other
// (Namespaces), looking for new ones every Rescan (0: 10 s); a namespace
// that goes away ends its watcher quietly. Each event names its
// namespace (Event.Netns: a /run/netns path or /proc/PID/ns/net).
type AllNamespaces struct {
	// Local is the watcher each namespace gets a copy of (its
	// Options.Netns set).
	Local  Local
	Rescan time.Duration
}

// Run watches until ctx ends; emit is called from one goroutine at a
// time.
func (a *AllNamespaces) Run(ctx context.Context, emit func(Event) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var mu sync.Mutex
	safe := func(e Event) error {
		mu.Lock()
		defer mu.Unlock()
		return emit(e)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	start := func(netns string) {
		l := a.Local
		l.Options.Netns = netns
		if netns != "" {
			l.Ready = nil // the caller hears of its own namespace's first dump
		}
		wg.Go(func() {
			err := l.Run(ctx, safe)
			if l.Dumped != nil && netns != "" {
				l.Dumped(netns, time.Now(), func(func(record.Socket) bool) {}) // gone: nothing listens there now
			}
			if err != nil && ctx.Err() == nil && netns == "" {
				cancel(err) // the caller's own namespace must be watched
			}
		})
	}
	start("")
	watched := map[string]bool{}
	rescan := a.Rescan
	if rescan <= 0 {
		rescan = 10 * time.Second
	}
	t := time.NewTicker(rescan)
	defer t.Stop()
	for {
		nss, _ := Namespaces()
		for _, ns := range nss {
			if !watched[ns] {
				watched[ns] = true
				start(ns)
			}
		}
		select {
		case <-ctx.Done():
			if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
				return err
			}
			return ctx.Err()
		case <-t.C:
		}
	}
}

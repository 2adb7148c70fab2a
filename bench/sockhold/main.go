//go:build linux

// Command sockhold holds loopback TCP sockets open for the sockets
// benchmark (bench/sockets.sh): listeners on consecutive ports, and
// established connections to a listener of its own.
//
//	sockhold -listen 10000 -base 10000   # 10,000 listeners on 127.0.0.1:10000-19999
//	sockhold -conns 5000 -port 20001     # one listener on 127.0.0.1:20001 and
//	                                     # 5,000 connections to it, both ends held
//
// It raises its open-file soft limit to the hard limit, prints "ready" on
// stdout once every socket is open, and holds them until stdin closes or it
// gets SIGTERM or SIGINT. Every address is a loopback address: nothing
// leaves the machine. Connections are closed with a reset (SO_LINGER 0), so
// that exiting leaves no TIME-WAIT sockets behind for the next run.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The bounds on what one process may hold. Each connection costs two file
// descriptors (the client end and the accepted end).
const (
	maxListen = 20000
	maxConns  = 10000
	// fdSlack is kept free for stdio, the runtime's epoll and pipe, and
	// the conns mode's own listener.
	fdSlack = 32
)

type config struct {
	addr    netip.Addr
	listen  int           // listeners to open
	base    uint16        // the first listener's port
	conns   int           // connections to open
	port    uint16        // the port the connections go to
	timeout time.Duration // for opening everything
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "sockhold:", err)
		stop()
		os.Exit(1)
	}
}

func parseFlags(args []string) (config, error) {
	fs := flag.NewFlagSet("sockhold", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1", "the loopback `ADDRESS` to listen on and connect to")
	listen := fs.Int("listen", 0, "open `N` listeners on consecutive ports from -base")
	base := fs.Uint("base", 10000, "the first listener's `PORT`")
	conns := fs.Int("conns", 0, "open `N` connections to a listener of our own on -port, and hold both ends")
	port := fs.Uint("port", 20001, "the `PORT` the -conns listener listens on")
	timeout := fs.Duration("timeout", 60*time.Second, "give up if opening everything takes longer")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	a, err := netip.ParseAddr(*addr)
	if err != nil {
		return config{}, fmt.Errorf("bad -addr: %w", err)
	}
	if !a.IsLoopback() {
		return config{}, fmt.Errorf("bad -addr %s: only loopback addresses are allowed", a)
	}
	c := config{addr: a, listen: *listen, conns: *conns, timeout: *timeout}
	switch {
	case c.listen < 0 || c.listen > maxListen:
		return config{}, fmt.Errorf("bad -listen %d: want 0 to %d", c.listen, maxListen)
	case c.conns < 0 || c.conns > maxConns:
		return config{}, fmt.Errorf("bad -conns %d: want 0 to %d", c.conns, maxConns)
	case c.listen == 0 && c.conns == 0:
		return config{}, errors.New("nothing to hold: give -listen or -conns")
	case *base == 0 || *base+uint(c.listen) > 65536:
		return config{}, fmt.Errorf("bad -base %d: ports %d+%d do not fit below 65536", *base, *base, c.listen)
	case *port == 0 || *port > 65535:
		return config{}, fmt.Errorf("bad -port %d", *port)
	case c.timeout <= 0:
		return config{}, fmt.Errorf("bad -timeout %v", c.timeout)
	}
	c.base, c.port = uint16(*base), uint16(*port)
	if c.listen > 0 && c.conns > 0 && c.port >= c.base && int(c.port) < int(c.base)+c.listen {
		return config{}, fmt.Errorf("-port %d is among the -listen ports %d-%d", c.port, c.base, int(c.base)+c.listen-1)
	}
	return c, nil
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	c, err := parseFlags(args)
	if err != nil {
		return err
	}
	limit, err := raiseFileLimit()
	if err != nil {
		return err
	}
	if need := c.listen + 2*c.conns + fdSlack; uint64(need) > limit {
		return fmt.Errorf("need about %d open files, the limit is %d: spread the sockets over more processes", need, limit)
	}

	var held []io.Closer
	defer func() {
		for _, h := range held {
			h.Close()
		}
	}()
	setup, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	ls, err := openListeners(setup, c.addr, c.base, c.listen)
	held = append(held, ls...)
	if err != nil {
		return err
	}
	cs, err := openConns(setup, c.addr, c.port, c.conns)
	held = append(held, cs...)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "sockhold: pid %d holds %d listeners and %d connections on %s\n",
		os.Getpid(), c.listen, c.conns, c.addr)
	if _, err := fmt.Fprintln(stdout, "ready"); err != nil {
		return err
	}

	eof := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, stdin)
		eof <- err
	}()
	select {
	case <-ctx.Done():
	case <-eof:
	}
	return nil
}

// raiseFileLimit sets the soft RLIMIT_NOFILE to the hard limit and returns
// it. Only the hard limit bounds a process: not even root raises it past
// fs.nr_open, and some machines cap it lower.
func raiseFileLimit() (uint64, error) {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return 0, fmt.Errorf("reading the open-file limit: %w", err)
	}
	if rl.Cur < rl.Max {
		rl.Cur = rl.Max
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
			return 0, fmt.Errorf("raising the open-file limit to %d: %w", rl.Max, err)
		}
	}
	return rl.Cur, nil
}

func network(a netip.Addr) string {
	if a.Is4() {
		return "tcp4"
	}
	return "tcp6"
}

// openListeners listens on n consecutive ports from base.
func openListeners(ctx context.Context, addr netip.Addr, base uint16, n int) ([]io.Closer, error) {
	var lc net.ListenConfig
	held := make([]io.Closer, 0, n)
	for i := range n {
		ap := netip.AddrPortFrom(addr, base+uint16(i))
		l, err := lc.Listen(ctx, network(addr), ap.String())
		if err != nil {
			return held, fmt.Errorf("listener %d of %d: %w", i+1, n, err)
		}
		held = append(held, l)
	}
	return held, nil
}

// openConns listens on port and makes n connections to it, keeping both the
// client and the accepted ends. Every end is set to close with a reset.
func openConns(ctx context.Context, addr netip.Addr, port uint16, n int) ([]io.Closer, error) {
	if n == 0 {
		return nil, nil
	}
	var lc net.ListenConfig
	ap := netip.AddrPortFrom(addr, port)
	l, err := lc.Listen(ctx, network(addr), ap.String())
	if err != nil {
		return nil, fmt.Errorf("conns listener: %w", err)
	}
	held := make([]io.Closer, 0, 2*n+1)
	held = append(held, l)

	type result struct {
		conns []io.Closer
		err   error
	}
	accepted := make(chan result, 1)
	go func() {
		cs := make([]io.Closer, 0, n)
		for range n {
			c, err := l.Accept()
			if err != nil {
				accepted <- result{cs, fmt.Errorf("accepting connection %d of %d: %w", len(cs)+1, n, err)}
				return
			}
			c.(*net.TCPConn).SetLinger(0)
			cs = append(cs, c)
		}
		accepted <- result{cs, nil}
	}()
	// Accept blocks without a deadline of its own: closing the listener
	// ends it if dialling fails or the time runs out.
	stopAccept := context.AfterFunc(ctx, func() { l.Close() })
	defer stopAccept()

	var d net.Dialer
	var dialErr error
	for i := range n {
		c, err := d.DialContext(ctx, network(addr), ap.String())
		if err != nil {
			dialErr = fmt.Errorf("connection %d of %d: %w", i+1, n, err)
			l.Close()
			break
		}
		c.(*net.TCPConn).SetLinger(0)
		held = append(held, c)
	}
	r := <-accepted
	held = append(held, r.conns...)
	if dialErr != nil {
		return held, dialErr
	}
	if r.err != nil {
		return held, r.err
	}
	return held, nil
}

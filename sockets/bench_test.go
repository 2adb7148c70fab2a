package sockets_test

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/ajarsec/ajar/sockets"
)

// The sockets each benchmark opens in its own process. bench/sockets.sh
// measures the full 10,000 listeners and 20,000 connections of the issue
// with helper processes; this is the in-process, profilable part of it.
const (
	benchListeners = 2000
	benchConns     = 1000 // each is two sockets: the client and the accepted end
)

// openLoad opens n listeners on 127.0.0.1 and conns established connections
// to one more, all closed when the benchmark ends. It skips the benchmark
// when the process may not open that many files.
func openLoad(b *testing.B, n, conns int) {
	b.Helper()
	var held []io.Closer
	b.Cleanup(func() {
		for _, c := range held {
			c.Close()
		}
	})
	failOrSkip := func(what string, err error) {
		b.Helper()
		if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
			b.Skipf("%s: %v (raise the open-file limit to %d)", what, err, n+2*conns+64)
		}
		b.Fatalf("%s: %v", what, err)
	}
	for range n {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			failOrSkip("listen", err)
		}
		held = append(held, l)
	}
	srv, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		failOrSkip("listen", err)
	}
	held = append(held, srv)
	type result struct {
		conns []io.Closer
		err   error
	}
	accepted := make(chan result, 1)
	go func() {
		var cs []io.Closer
		for range conns {
			c, err := srv.Accept()
			if err != nil {
				accepted <- result{cs, err}
				return
			}
			c.(*net.TCPConn).SetLinger(0) // close with a reset: no TIME-WAIT left behind
			cs = append(cs, c)
		}
		accepted <- result{cs, nil}
	}()
	var dialErr error
	for range conns {
		c, err := net.Dial("tcp4", srv.Addr().String())
		if err != nil {
			dialErr = err
			srv.Close() // ends the Accept loop
			break
		}
		c.(*net.TCPConn).SetLinger(0)
		held = append(held, c)
	}
	r := <-accepted
	held = append(held, r.conns...)
	if dialErr != nil {
		failOrSkip("dial", dialErr)
	}
	if r.err != nil {
		failOrSkip("accept", r.err)
	}
}

func benchmarkList(b *testing.B, opts sockets.Options, atLeast int) {
	openLoad(b, benchListeners, benchConns)
	ctx := context.Background()
	snap, err := sockets.List(ctx, opts)
	if err != nil {
		b.Fatal(err)
	}
	if len(snap.Sockets) < atLeast {
		b.Fatalf("List found %d sockets, want at least %d", len(snap.Sockets), atLeast)
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		snap, err := sockets.List(ctx, opts)
		if err != nil {
			b.Fatal(err)
		}
		n = len(snap.Sockets)
	}
	b.ReportMetric(float64(n), "sockets/op")
}

// BenchmarkList lists the listening sockets, as `ajar sockets` does.
func BenchmarkList(b *testing.B) {
	benchmarkList(b, sockets.Options{}, benchListeners+1)
}

// BenchmarkListAll lists the sockets in every state, as `ajar sockets -a`
// does.
func BenchmarkListAll(b *testing.B) {
	benchmarkList(b, sockets.Options{All: true}, benchListeners+1+2*benchConns)
}

// BenchmarkPollFirst is a Poller's first Poll: what List costs.
func BenchmarkPollFirst(b *testing.B) {
	openLoad(b, benchListeners, 0)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		p := &sockets.Poller{}
		if _, _, err := p.Poll(ctx); err != nil {
			b.Fatal(err)
		}
		p.Close()
	}
}

// BenchmarkPoll is a Poller's later Polls, which reuse its buffers: they
// allocate a small part of what the first does.
func BenchmarkPoll(b *testing.B) {
	openLoad(b, benchListeners, 0)
	ctx := context.Background()
	p := &sockets.Poller{}
	defer p.Close()
	var n int
	for range 2 { // both buffers filled
		list, _, err := p.Poll(ctx)
		if err != nil {
			b.Fatal(err)
		}
		n = len(list)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := p.Poll(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n), "sockets/op")
}

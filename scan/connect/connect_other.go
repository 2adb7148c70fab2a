//go:build !linux

package connect

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"syscall"
	"time"

	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/scan"
)

// worker connects with the standard library's dialer. ICMP reasons are not
// available here: refusals are "closed", unreachables "filtered".
type worker struct{}

func newWorker() *worker { return &worker{} }

func (*worker) Close() error { return nil }

func (*worker) Probe(ctx context.Context, dst netip.AddrPort, timeout time.Duration) scan.Outcome {
	start := time.Now()
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, "tcp", dst.String())
	rtt := time.Since(start)
	if err == nil {
		c.Close()
		return scan.Outcome{State: record.Open, Reason: record.ReasonConnected, RTT: rtt}
	}
	if ctx.Err() != nil {
		return scan.Outcome{Err: ctx.Err()}
	}
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return scan.Outcome{State: record.Closed, Reason: record.ReasonConnRefused, RTT: rtt}
	case errors.Is(err, syscall.EHOSTUNREACH):
		return scan.Outcome{State: record.Filtered, Reason: record.ReasonHostUnreach, RTT: rtt}
	case errors.Is(err, syscall.ENETUNREACH):
		return scan.Outcome{State: record.Filtered, Reason: record.ReasonNetUnreach, RTT: rtt}
	case errors.Is(err, syscall.ETIMEDOUT), errors.As(err, &ne) && ne.Timeout():
		return scan.Outcome{NoAnswer: true}
	}
	return scan.Outcome{Err: err}
}

// loop is a stand-in: the epoll loop is Linux's.
type loop struct{}

func newLoop() (*loop, error) {
	return nil, fmt.Errorf("connect: an event loop on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}

func (*loop) newWorker() scan.AsyncWorker { return nil }

func (*loop) close() error { return nil }

//go:build !linux

package udp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"

	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/scan"
)

// worker probes with the standard library's sockets, one per probe. No
// ICMP error queue here: a refusal is "closed" where the system reports
// it on a connected socket, the unreachables are "filtered" without
// their finer reason, and a service that answers from another port
// (TFTP) is heard on an unconnected socket that hears no ICMP at all.
type worker struct {
	pr  Prober
	buf [maxReply]byte
}

func newWorker(pr Prober) *worker { return &worker{pr: pr} }

func (*worker) Close() error { return nil }

func (w *worker) Probe(ctx context.Context, dst netip.AddrPort, timeout time.Duration) scan.Outcome {
	if err := ctx.Err(); err != nil {
		return scan.Outcome{Err: err}
	}
	dst = netip.AddrPortFrom(dst.Addr().Unmap(), dst.Port())
	pl := w.pr.payloadFor(dst.Port())
	var c *net.UDPConn
	var err error
	if pl.otherPort != nil {
		c, err = net.ListenUDP("udp", nil)
	} else {
		c, err = net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(dst))
	}
	if err != nil {
		return classify(err, 0)
	}
	defer c.Close()
	if err := reportPortUnreachable(c); err != nil {
		return scan.Outcome{Err: err}
	}
	start := time.Now()
	if err := c.SetReadDeadline(start.Add(timeout)); err != nil {
		return scan.Outcome{Err: err}
	}
	stop := context.AfterFunc(ctx, func() { c.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	for _, d := range pl.datagrams {
		if pl.otherPort != nil {
			_, err = c.WriteToUDPAddrPort(d, dst)
		} else {
			_, err = c.Write(d)
		}
		if err != nil {
			return classify(err, time.Since(start))
		}
	}
	for range maxDrain {
		n, from, err := c.ReadFromUDPAddrPort(w.buf[:])
		if err != nil {
			if ctx.Err() != nil {
				return scan.Outcome{Err: ctx.Err()}
			}
			return classify(err, time.Since(start))
		}
		if pl.otherPort == nil || from == dst ||
			(from.Addr().Unmap() == dst.Addr() && pl.otherPort(w.buf[:n])) {
			return scan.Outcome{State: record.Open, Reason: record.ReasonUDPResponse, RTT: time.Since(start)}
		}
	}
	return scan.Outcome{NoAnswer: true}
}

// maxDrain bounds the stray datagrams an unconnected socket reads.
const maxDrain = 64

func classify(err error, rtt time.Duration) scan.Outcome {
	var ne net.Error
	switch {
	case isPortUnreachable(err):
		return scan.Outcome{State: record.Closed, Reason: record.ReasonPortUnreach, RTT: rtt}
	case errors.Is(err, syscall.EHOSTUNREACH):
		return scan.Outcome{State: record.Filtered, Reason: record.ReasonHostUnreach, RTT: rtt}
	case errors.Is(err, syscall.ENETUNREACH):
		return scan.Outcome{State: record.Filtered, Reason: record.ReasonNetUnreach, RTT: rtt}
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return scan.Outcome{NoAnswer: true}
	}
	return scan.Outcome{Err: err}
}

// loop stands in for the Linux event loop: NewAsync fails here.
type loop struct{}

func newLoop(Prober) (*loop, error) {
	return nil, fmt.Errorf("udp: probes in flight without goroutines need Linux's epoll: %w", errors.ErrUnsupported)
}

func (*loop) newWorker() scan.AsyncWorker { return nil }

func (*loop) close() error { return nil }

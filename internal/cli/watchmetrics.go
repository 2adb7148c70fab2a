package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/spf13/pflag"

	"github.com/ajarsec/ajar/watch"
)

// metricsServer serves a watch's metrics at ADDR/metrics (--metrics).
type metricsServer struct {
	m   *watch.Metrics
	srv *http.Server
}

// serveMetrics listens on addr (a bad or busy address is the user's
// error: exit 2) and serves m there until stop.
func serveMetrics(addr string, m *watch.Metrics, warn func(error)) (*metricsServer, error) {
	host, port, err := net.SplitHostPort(addr)
	if err == nil {
		_, err = strconv.ParseUint(port, 10, 16)
	}
	if err != nil {
		return nil, watchUsage("bad --metrics %q: give HOST:PORT or :PORT (e.g. 127.0.0.1:9464)", addr)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, watchUsage("--metrics %s: %v", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ajar watch: metrics at /metrics")
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			warn(fmt.Errorf("--metrics: %w", err))
		}
	}()
	return &metricsServer{m: m, srv: srv}, nil
}

func (s *metricsServer) stop() {
	if s == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	s.srv.Shutdown(ctx)
}

// countingSink counts each event in the metrics before it goes on.
type countingSink struct {
	watch.Sink
	m *watch.Metrics
}

func (c countingSink) Send(e any) error {
	c.m.Event(e)
	return c.Sink.Send(e)
}

// withMetrics serves the metrics when --metrics asks for them, and counts
// the events sink sends; with no --metrics it returns sink, and nil.
func withMetrics(fl *pflag.FlagSet, f *watchFlags, audit bool, sink watch.Sink, warn func(error)) (watch.Sink, *metricsServer, error) {
	if !fl.Changed("metrics") {
		return sink, nil, nil
	}
	m := watch.NewMetrics(audit)
	srv, err := serveMetrics(f.metrics, m, warn)
	if err != nil {
		return nil, nil, err
	}
	return countingSink{Sink: sink, m: m}, srv, nil
}

package main_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ajarsec/ajar/internal/netnstest"
)

// The addresses, on the loopback of the test's namespace, of ajar's
// metrics and of Prometheus.
const (
	metricsAddr = "127.0.0.1:9464"
	promAddr    = "127.0.0.1:9090"
)

// promConfig is the Prometheus configuration the tests run: ajar's
// metrics scraped every half second.
const promConfig = `global:
  scrape_interval: 500ms
  scrape_timeout: 500ms
scrape_configs:
  - job_name: ajar
    static_configs:
      - targets: ['` + metricsAddr + `']
`

// prometheus runs Debian's Prometheus in namespace ns, scraping ajar's
// metrics at metricsAddr there, and returns a function that waits until
// an instant query's value (a vector of one sample, or none: 0) is want.
func prometheus(t *testing.T, ns *netnstest.NS) (waitFor func(query string, want float64)) {
	t.Helper()
	if _, err := exec.LookPath("prometheus"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("prometheus is needed under CI=true (scripts/zoo-deps.sh installs it)")
		}
		t.Skip("needs prometheus (Debian package prometheus)")
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte(promConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := ns.Command("prometheus", "--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+promAddr)
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		if t.Failed() {
			t.Logf("prometheus's log:\n%s", log.String())
		}
	})
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, addr string) (c net.Conn, err error) {
			err = ns.Do(func() (err error) { c, err = (&net.Dialer{}).DialContext(ctx, network, addr); return err })
			return c, err
		},
	}}
	query := func(q string) (float64, error) {
		resp, err := client.Get("http://" + promAddr + "/api/v1/query?query=" + url.QueryEscape(q))
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		var r struct {
			Status string
			Error  string
			Data   struct {
				Result []struct{ Value [2]any }
			}
		}
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
			return 0, err
		}
		switch {
		case r.Status != "success":
			return 0, fmt.Errorf("%s: %s", r.Status, r.Error)
		case len(r.Data.Result) == 0:
			return 0, nil
		case len(r.Data.Result) > 1:
			return 0, fmt.Errorf("%d samples, want one", len(r.Data.Result))
		}
		s, _ := r.Data.Result[0].Value[1].(string)
		return strconv.ParseFloat(s, 64)
	}
	return func(q string, want float64) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			got, err := query(q)
			if err == nil && got == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("Prometheus: %s = %v (%v), want %v within 30 s", q, got, err, want)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
}

// startWatch starts an ajar watch command and waits for the line on its
// standard error that says it has begun.
func startWatch(t *testing.T, cmd *exec.Cmd, begun string) {
	t.Helper()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if strings.Contains(sc.Text(), begun) {
			go func() {
				for sc.Scan() {
				}
			}()
			return
		}
		t.Logf("stderr: %s", sc.Text())
	}
	t.Fatalf("ajar watch ended before %q", begun)
}

// TestWatchMetricsPrometheus runs `ajar watch --local --metrics` in a
// namespace of the test's own, with a real Prometheus there scraping it;
// real listeners open and close in the namespace, and Prometheus's query
// API must show them: open ports by protocol and exposure, events by
// kind, the last dump's time, the process's CPU.
func TestWatchMetricsPrometheus(t *testing.T) {
	ns := netnstest.New(t)
	waitFor := prometheus(t, ns)
	// The test's ports only: not Prometheus's, nor ajar's own.
	watch := ns.Command(ajarBin, "watch", "--local", "--port", "7100-7199", "--metrics", metricsAddr, "--interval", "100ms", "-o", "jsonl")
	startWatch(t, watch, "events follow")
	waitFor(`up{job="ajar"}`, 1)
	waitFor(`count(ajar_watch_open_ports)`, 0)
	waitFor(`process_cpu_seconds_total{job="ajar"} > bool 0`, 1)

	var tcp [3]net.Listener
	var udp net.PacketConn
	err := ns.Do(func() (err error) {
		for i, addr := range []string{"0.0.0.0:7101", "0.0.0.0:7102", "127.0.0.1:7103"} {
			if tcp[i], err = net.Listen("tcp4", addr); err != nil {
				return err
			}
		}
		udp, err = net.ListenPacket("udp4", "0.0.0.0:7104")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	waitFor(`ajar_watch_open_ports{proto="tcp",exposure="all"}`, 2)
	waitFor(`ajar_watch_open_ports{proto="tcp",exposure="loopback"}`, 1)
	waitFor(`ajar_watch_open_ports{proto="udp",exposure="all"}`, 1)
	waitFor(`ajar_watch_events_total{kind="opened"}`, 4)

	tcp[0].Close()
	tcp[2].Close()
	defer tcp[1].Close()
	waitFor(`ajar_watch_open_ports{proto="tcp",exposure="all"}`, 1)
	waitFor(`ajar_watch_open_ports{proto="tcp",exposure="loopback"}`, 0)
	waitFor(`ajar_watch_events_total{kind="closed"}`, 2)
	waitFor(`ajar_watch_events_total{kind="opened"}`, 4)
	// Dumps every 100 ms: the last one is recent, and there are many.
	waitFor(`time() - ajar_watch_last_scan_timestamp_seconds < bool 5`, 1)
	waitFor(`ajar_watch_scans_total > bool 10`, 1)
}

// TestWatchRescanMetrics runs `ajar watch TARGET --every 1s --metrics`
// from a bed's scanner namespace, with a real Prometheus there: the
// target's open ports by host, before and after one opens, and the scan
// duration histogram's count.
func TestWatchRescanMetrics(t *testing.T) {
	bed := netnstest.NewBed(t)
	waitFor := prometheus(t, bed.Scanner)
	var ls []net.Listener
	listen := func(port string) {
		if err := bed.InTarget(func() error {
			l, err := net.Listen("tcp4", ":"+port)
			ls = append(ls, l)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	listen("8080")
	addr := bed.TargetAddr4.String()
	watch := bed.Scanner.Command(ajarBin, "watch", addr, "-sT", "-p", "8080-8082", "--every", "1s", "--metrics", metricsAddr, "-o", "jsonl")
	startWatch(t, watch, "round 1 done")
	open := `ajar_watch_open_ports{host="` + addr + `",proto="tcp"}`
	waitFor(open, 1)
	listen("8081")
	listen("8082")
	waitFor(open, 3)
	waitFor(`ajar_watch_events_total{kind="opened"}`, 2)
	waitFor(`ajar_watch_scan_duration_seconds_count >= bool 3`, 1)
	waitFor(`ajar_watch_scan_duration_seconds_bucket{le="+Inf"} == bool ignoring(le) ajar_watch_scan_duration_seconds_count`, 1)
	ls[0].Close()
	waitFor(open, 2)
	waitFor(`ajar_watch_events_total{kind="closed"}`, 1)
}

// Package exposed holds the audit's checks of admin and debug endpoints
// that answer anyone: for now, Prometheus metrics (/metrics) on an HTTP
// service, a Prometheus exporter or etcd. Each check is one GET, judged
// by a pure function of the response (JudgeMetrics).
package exposed

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { audit.Register(metricsCheck{}) }

type metricsCheck struct{}

func (metricsCheck) Info() audit.Info {
	return audit.Info{Name: "metrics", Services: []string{"http", "prometheus", "etcd"}, Proto: portspec.TCP}
}

// bodyMax bounds the response read: enough of a metrics page to judge.
const bodyMax = 32 << 10

func (metricsCheck) Run(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	status, body, err := get(ctx, t, "/metrics")
	if err != nil {
		return nil, err
	}
	return JudgeMetrics(status, body)
}

// get sends one GET of path and returns the status and the start of the
// body (at most bodyMax bytes).
func get(ctx context.Context, t *audit.Target, path string) (int, []byte, error) {
	c, err := t.Dial(ctx)
	if err != nil {
		return 0, nil, err
	}
	defer c.Close()
	req := "GET " + path + " HTTP/1.1\r\nHost: " + t.Name() + "\r\nUser-Agent: ajar-audit\r\nAccept: text/plain\r\nConnection: close\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		return 0, nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, nil, fmt.Errorf("GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, bodyMax))
	if err != nil && len(body) == 0 {
		return resp.StatusCode, nil, fmt.Errorf("GET %s: %w", path, err)
	}
	return resp.StatusCode, body, nil
}

// JudgeMetrics judges the answer to GET /metrics: a 200 in Prometheus's
// text exposition format ("# TYPE name kind" lines) means anyone can read
// the service's internals (versions, hosts, paths, load, sometimes
// labels with secrets). Anything else is not applicable.
func JudgeMetrics(status int, body []byte) ([]record.Finding, error) {
	if status != http.StatusOK {
		return nil, audit.ErrNotApplicable
	}
	families := map[string]bool{}
	for _, line := range bytes.Split(body, []byte("\n")) {
		rest, ok := bytes.CutPrefix(line, []byte("# TYPE "))
		if !ok {
			continue
		}
		f := strings.Fields(string(rest))
		if len(f) == 2 && isKind(f[1]) {
			families[f[0]] = true
		}
	}
	if len(families) < 2 {
		return nil, audit.ErrNotApplicable
	}
	names := make([]string, 0, len(families))
	for n := range families {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) > 6 {
		names = append(names[:6], "…")
	}
	return []record.Finding{{
		ID: "metrics-exposed", Category: record.ExposedAdmin, Severity: record.Low,
		Title:    "Prometheus metrics are readable by anyone",
		Evidence: audit.Evidence([]byte(fmt.Sprintf("GET /metrics: 200, %d metric families in the first %d bytes: %s", len(families), len(body), strings.Join(names, ", ")))),
		Remediation: "serve metrics on loopback or a management network only (node_exporter `--web.listen-address=127.0.0.1:9100`, " +
			"etcd `--listen-metrics-urls`), or require authentication (`--web.config.file` with basic_auth_users or TLS client certificates)",
		References: []string{"CWE-200", "https://prometheus.io/docs/operating/security/"},
		Confidence: record.Confirmed,
	}}, nil
}

func isKind(k string) bool {
	switch k {
	case "counter", "gauge", "histogram", "summary", "untyped", "info", "stateset", "gaugehistogram", "unknown":
		return true
	}
	return false
}

package exposed

import (
	"errors"
	"strings"
	"testing"

	"github.com/ajarsec/ajar/audit"
)

// nodeExporter is the start of prometheus-node-exporter 1.5.0's
// /metrics (Debian 12).
const nodeExporter = `# HELP go_gc_duration_seconds A summary of the pause duration of garbage collection cycles.
# TYPE go_gc_duration_seconds summary
go_gc_duration_seconds{quantile="0"} 2.1e-05
# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 8
# HELP node_exporter_build_info A metric with a constant '1' value labeled by version, revision, branch, goversion from which node_exporter was built, and the goos and goarch for the build.
# TYPE node_exporter_build_info gauge
node_exporter_build_info{branch="debian/sid",goarch="amd64",goos="linux",goversion="go1.19.8",revision="1.5.0-1+b6",tags="netgo osusergo static_build",version="1.5.0"} 1
`

func TestJudgeMetrics(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
		want   string
	}{
		{200, nodeExporter, "metrics-exposed"},
		{401, "Unauthorized\n", "n/a"},
		{200, "<html><body># TYPE x counter</body></html>", "n/a"},
		{200, "# TYPE a counter\n", "n/a"}, // one family: too little to say
		{404, nodeExporter, "n/a"},
		{200, "# TYPE a weird\n# TYPE b strange\n", "n/a"},
	} {
		fs, err := JudgeMetrics(tc.status, []byte(tc.body))
		got := "n/a"
		if !errors.Is(err, audit.ErrNotApplicable) {
			if err != nil || len(fs) != 1 {
				t.Fatalf("%v %v", fs, err)
			}
			got = fs[0].ID
			if !strings.Contains(fs[0].Evidence, "node_exporter_build_info") || fs[0].Remediation == "" {
				t.Errorf("finding %+v", fs[0])
			}
		}
		if got != tc.want {
			t.Errorf("JudgeMetrics(%d, %.30q) = %s, want %s", tc.status, tc.body, got, tc.want)
		}
	}
}

func FuzzJudgeMetrics(f *testing.F) {
	f.Add([]byte(nodeExporter))
	f.Fuzz(func(t *testing.T, b []byte) {
		if fs, err := JudgeMetrics(200, b); err == nil && len(fs[0].Evidence) > 600 {
			t.Fatalf("evidence of %d bytes", len(fs[0].Evidence))
		}
	})
}

package http

import (
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ajarsec/ajar/record"
)

// Answers to the paths apps ask for, captured from etcd 3.4.23 and
// prometheus-node-exporter 1.5.0 of Debian 12, and written from the
// documented answers of Docker 20.10 and Kubernetes 1.27.
const (
	etcdVersionBody   = `{"etcdserver":"3.4.23","etcdcluster":"3.4.0"}`
	dockerVersionBody = `{"Platform":{"Name":"Docker Engine - Community"},"Components":[{"Name":"Engine","Version":"20.10.24+dfsg1",` +
		`"Details":{"ApiVersion":"1.41","Arch":"amd64","Os":"linux"}}],"Version":"20.10.24+dfsg1","ApiVersion":"1.41",` +
		`"MinAPIVersion":"1.12","GitCommit":"5d6db84","GoVersion":"go1.19.8","Os":"linux","Arch":"amd64",` +
		`"KernelVersion":"6.1.0-9-amd64","BuildTime":"2023-05-18T08:38:34.000000000+00:00"}`
	kubeVersionBody = "{\n  \"major\": \"1\",\n  \"minor\": \"27\",\n  \"gitVersion\": \"v1.27.3\",\n" +
		"  \"gitCommit\": \"25b4e43193bcda6c7328a6d147b1fb73a33f1598\",\n  \"gitTreeState\": \"clean\",\n" +
		"  \"buildDate\": \"2023-06-14T09:47:40Z\",\n  \"goVersion\": \"go1.20.5\",\n  \"compiler\": \"gc\",\n" +
		"  \"platform\": \"linux/amd64\"\n}"
	nodeMetricsBody = "# HELP go_gc_duration_seconds A summary of the pause duration of garbage collection cycles.\n" +
		"# TYPE go_gc_duration_seconds summary\ngo_gc_duration_seconds{quantile=\"0\"} 2.1e-05\n" +
		"# HELP node_exporter_build_info A metric with a constant '1' value labeled by version, revision, branch, goversion " +
		"from which node_exporter was built, and the goos and goarch for the build.\n# TYPE node_exporter_build_info gauge\n" +
		"node_exporter_build_info{branch=\"debian/sid\",goarch=\"amd64\",goos=\"linux\",goversion=\"go1.19.8\"," +
		"revision=\"1.5.0-1+b6\",version=\"1.5.0\"} 1\n# HELP node_filefd_allocated File descriptor statistics: allocated.\n"
	prometheusMetricsBody = "# HELP prometheus_build_info A metric with a constant '1' value labeled by version, revision, branch, and goversion from which prometheus was built.\n" +
		"# TYPE prometheus_build_info gauge\nprometheus_build_info{branch=\"HEAD\",goversion=\"go1.21.5\",revision=\"abc\",tags=\"netgo,builtinassets\",version=\"2.48.1\"} 1\n"
)

func answer(status, contentType, body string) *Response {
	r, err := ParseResponse([]byte("HTTP/1.1 " + status + "\r\nContent-Type: " + contentType +
		"\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body))
	if err != nil {
		panic(err)
	}
	return r
}

func TestAppsNext(t *testing.T) {
	kube := &record.Service{Name: "kubernetes", Product: "Kubernetes API server", Confidence: 8}
	nodeExp := &record.Service{Name: "prometheus", Product: "Prometheus Node Exporter", Confidence: 7}
	tests := []struct {
		name  string
		app   app
		r     *Response
		found *record.Service
		want  *record.Service
	}{
		{"etcd", etcdApp, answer("200 OK", "application/json", etcdVersionBody), nil,
			&record.Service{Name: "etcd", Product: "etcd", Version: "3.4.23", ExtraInfo: "cluster version 3.4.0", Confidence: 10, CPE: cpe("etcd", "etcd", "3.4.23")}},
		{"etcd not", etcdApp, answer("200 OK", "application/json", kubeVersionBody), nil, nil},
		{"etcd 404", etcdApp, answer("404 Not Found", "text/plain; charset=utf-8", "404 page not found\n"), nil, nil},
		{"docker", dockerApp, answer("200 OK", "application/json", dockerVersionBody), &record.Service{Product: "Docker"},
			&record.Service{Name: "docker", Product: "Docker", Version: "20.10.24+dfsg1", ExtraInfo: "API 1.41; OS linux/amd64; Docker Engine - Community",
				Confidence: 10, CPE: cpe("docker", "docker", "20.10.24+dfsg1")}},
		{"docker not", dockerApp, answer("200 OK", "application/json", etcdVersionBody), nil, nil},
		{"kubernetes", kubernetesApp, answer("200 OK", "application/json", kubeVersionBody), kube,
			&record.Service{Name: "kubernetes", Product: "Kubernetes API server", Version: "1.27.3", ExtraInfo: "platform linux/amd64",
				Confidence: 10, CPE: cpe("kubernetes", "kubernetes", "1.27.3")}},
		{"kubernetes 401", kubernetesApp, answer("401 Unauthorized", "application/json", `{"kind":"Status","apiVersion":"v1","status":"Failure","code":401}`), kube, nil},
		{"kubernetes not", kubernetesApp, answer("200 OK", "application/json", etcdVersionBody), nil, nil},
		{"node exporter", prometheusApp, answer("200 OK", "text/plain; version=0.0.4; charset=utf-8", nodeMetricsBody), nodeExp,
			&record.Service{Name: "prometheus", Product: "Prometheus Node Exporter", Version: "1.5.0", Confidence: 10, CPE: cpe("prometheus", "node_exporter", "1.5.0")}},
		{"prometheus", prometheusApp, answer("200 OK", "text/plain; version=0.0.4; charset=utf-8", prometheusMetricsBody), nil,
			&record.Service{Name: "prometheus", Product: "Prometheus", Version: "2.48.1", Confidence: 10, CPE: cpe("prometheus", "prometheus", "2.48.1")}},
		{"metrics without build info", prometheusApp, answer("200 OK", "text/plain", "# TYPE up gauge\nup 1\n"), nil,
			&record.Service{Name: "prometheus", ExtraInfo: "metrics at /metrics", Confidence: 7}},
		{"metrics page not exposition", prometheusApp, answer("200 OK", "text/html", "<html>metrics</html>"), nodeExp, nil},
		{"metrics 404", prometheusApp, answer("404 Not Found", "text/plain", "# HELP x\n"), nil, nil},
	}
	for _, tt := range tests {
		got := judgeNext(&tt.app, tt.r, tt.found)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

// TestJudgeRoot checks who asks for what after a bare answer.
func TestJudgeRoot(t *testing.T) {
	r, _ := ParseResponse([]byte(etcdRootAnswer))
	v := judgeRoot(r)
	if v.found != nil || len(v.asks) != 2 || v.asks[0].path != "/version" || v.asks[1].path != "/metrics" ||
		len(v.asks[0].apps) != 2 {
		t.Errorf("Go 404: %+v", v)
	}
	// Docker 20.10's "/" (Debian 12's docker.io): its JSON 404, no Server.
	r = answer("404 Not Found", "application/json", `{"message":"page not found"}`+"\n")
	if v := judgeRoot(r); v.found != nil || len(v.asks) != 1 || v.asks[0].path != "/version" || v.asks[0].apps[0].name != "docker" {
		t.Errorf("Docker 404: %+v", v)
	}
	r, _ = ParseResponse([]byte(nginxRoot))
	if v := judgeRoot(r); v.found != nil || len(v.asks) != 0 {
		t.Errorf("nginx: %+v", v)
	}
	r, _ = ParseResponse([]byte(nodeExporterRoot))
	if v := judgeRoot(r); v.found == nil || v.found.name != "prometheus" || v.next != "/metrics" {
		t.Errorf("node exporter: %+v", v)
	}
}

func TestBuildInfo(t *testing.T) {
	for in, want := range map[string][2]string{
		nodeMetricsBody:       {"node_exporter", "1.5.0"},
		prometheusMetricsBody: {"prometheus", "2.48.1"},
		"blackbox_exporter_build_info{version=\"0.24.0\",revision=\"x\"} 1\n": {"blackbox_exporter", "0.24.0"},
		"x_build_info{revision=\"x\"} 1\n":                                    {"x", ""},
		"x_build_info{version=\"a\\\"b\"} 1\n":                                {"x", "a"},
		"x_build_info{version=\"1.0\n":                                        {"", ""},
		"# x_build_info{version=\"1\"} 1\n":                                   {"", ""},
		"no build info\n":                                                     {"", ""},
	} {
		p, v := BuildInfo([]byte(in))
		if p != want[0] || v != want[1] {
			t.Errorf("BuildInfo(%q) = %q, %q; want %q", in, p, v, want)
		}
	}
	if got := exporterProduct("blackbox_exporter"); got != "Prometheus Blackbox Exporter" {
		t.Errorf("exporterProduct = %q", got)
	}
}

func TestIsExposition(t *testing.T) {
	for in, want := range map[string]bool{
		nodeMetricsBody:                 true,
		"up 1\n":                        true,
		"# some comment\nup{a=\"b\"} 1": true,
		"<html>":                        false,
		"{\"json\": 1}":                 false,
		"":                              false,
		"hello world\n":                 false,
		"up{a=\"}\"} NaN\n":             true,
		"up{a=\"b\"}\n":                 false,
		"#!/bin/sh\n":                   false,
	} {
		if got := IsExposition([]byte(in)); got != want {
			t.Errorf("IsExposition(%q) = %v", in, got)
		}
	}
}

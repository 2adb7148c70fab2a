package web

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"testing"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func judged(fs []record.Finding, err error) string {
	if errors.Is(err, audit.ErrNotApplicable) {
		return "n/a"
	}
	if err != nil {
		return "error: " + err.Error()
	}
	if len(fs) != 1 || fs[0].Remediation == "" || fs[0].Evidence == "" || len(fs[0].References) == 0 {
		return "bad findings"
	}
	return fs[0].ID + "/" + fs[0].Severity.String()
}

func page(status int, h http.Header, body string) Page {
	return Page{Path: "/", Status: status, Header: h, Body: []byte(body)}
}

// Apache 2.4.71's mod_status, ?auto, with ExtendedStatus On.
const serverStatus = "www.zoo.test\nServerVersion: Apache/2.4.71 (Debian)\nServerMPM: event\n" +
	"Total Accesses: 3\nUptime: 12\nBusyWorkers: 1\nScoreboard: _W______\n"

func TestJudges(t *testing.T) {
	for _, tc := range []struct {
		name  string
		judge func(Page) ([]record.Finding, error)
		p     Page
		want  string
	}{
		{"status", JudgeServerStatus, page(200, nil, serverStatus), "http-server-status/medium"},
		{"status denied", JudgeServerStatus, page(403, nil, serverStatus), "n/a"},
		{"status page of another kind", JudgeServerStatus, page(200, nil, "<html>ok</html>"), "n/a"},
		{"apache listing", JudgeListing, page(200, nil, "<html>\n <head>\n  <title>Index of /</title>"), "http-directory-listing/low"},
		{"nginx listing", JudgeListing, page(200, nil, "<html>\r\n<head><title>Index of /pub/</title></head>"), "http-directory-listing/low"},
		{"python listing", JudgeListing, page(200, nil, "<title>Directory listing for /</title>"), "http-directory-listing/low"},
		{"a page", JudgeListing, page(200, nil, "<title>Welcome to nginx!</title>"), "n/a"},
		{"listing, 404", JudgeListing, page(404, nil, "<title>Index of /</title>"), "n/a"},
		{"banner", JudgeBanner, page(200, http.Header{"Server": {"Apache/2.4.71 (Debian)"}}, ""), "http-version-banner/low"},
		{"php", JudgeBanner, page(200, http.Header{"Server": {"nginx"}, "X-Powered-By": {"PHP/8.2.7"}}, ""), "http-version-banner/low"},
		{"product only", JudgeBanner, page(200, http.Header{"Server": {"Apache"}}, ""), "n/a"},
		{"no server", JudgeBanner, page(404, http.Header{}, ""), "n/a"},
		{"actuator", JudgeActuator, page(200, nil, `{"activeProfiles":[],"propertySources":[{"name":"server.ports"}]}`), "http-actuator-env/high"},
		{"actuator 401", JudgeActuator, page(401, nil, `{"activeProfiles":[],"propertySources":[]}`), "n/a"},
		{"phpmyadmin", JudgePhpMyAdmin, page(200, nil, `<title>phpMyAdmin</title><input type="text" name="pma_username" id="input_username">`), "http-phpmyadmin/medium"},
		{"phpmyadmin denied", JudgePhpMyAdmin, page(403, nil, `phpMyAdmin pma_username`), "n/a"},
		{"basic", JudgeBasicAuth, page(401, http.Header{"Www-Authenticate": {`Basic realm="zoo"`}}, ""), "http-basic-auth-cleartext/medium"},
		{"basic in TLS", JudgeBasicAuth, Page{Status: 401, Header: http.Header{"Www-Authenticate": {`Basic realm="zoo"`}}, TLS: true}, "n/a"},
		{"digest", JudgeBasicAuth, page(401, http.Header{"Www-Authenticate": {`Digest realm="zoo", nonce="1"`}}, ""), "n/a"},
		{"no login", JudgeBasicAuth, page(200, http.Header{}, ""), "n/a"},
	} {
		if got := judged(tc.judge(tc.p)); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

// serve starts an HTTP server with h on loopback and returns the target
// of a check.
func serve(t *testing.T, h http.Handler) audit.Target {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return audit.Target{Addr: netip.MustParseAddrPort(ln.Addr().String()), Proto: portspec.TCP,
		Service: &record.Service{Name: "http", Method: "probed"}}
}

// TestPprof: a Go program that serves net/http/pprof (the real package)
// is found; one that does not is not.
func TestPprof(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	bare := http.NewServeMux()
	bare.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hello")) })
	check := pageCheck{name: "http-pprof", path: "/debug/pprof/", judge: JudgePprof}
	for _, tc := range []struct {
		h    http.Handler
		want string
	}{{mux, "http-pprof-exposed/medium"}, {bare, "n/a"}} {
		got := judged((audit.Config{Checks: []audit.Check{check}}).Audit(context.Background(), serve(t, tc.h)))
		if tc.want == "n/a" && got == "bad findings" {
			got = "n/a" // Audit returns no findings, no error
		}
		if got != tc.want {
			t.Errorf("pprof: %s, want %s", got, tc.want)
		}
	}
}

func FuzzJudges(f *testing.F) {
	f.Add([]byte(serverStatus))
	f.Add([]byte("<title>Index of /</title>"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := page(200, http.Header{"Server": {string(b)}}, string(b))
		for _, j := range []func(Page) ([]record.Finding, error){JudgeServerStatus, JudgeListing, JudgeBanner,
			JudgePprof, JudgeActuator, JudgePhpMyAdmin, JudgeBasicAuth} {
			fs, _ := j(p)
			for _, x := range fs {
				if len(x.Evidence) > record.MaxEvidence {
					t.Fatalf("evidence of %d bytes", len(x.Evidence))
				}
			}
		}
	})
}

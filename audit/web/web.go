// Package web holds the audit's checks of what an HTTP service shows to
// anyone: admin and debug pages (Apache's server-status, Go's pprof,
// Spring Boot's actuator, phpMyAdmin), directory listings, version
// banners, and Basic logins asked for over plain HTTP. Each check is one
// or two GETs of a well-known path, judged by a pure function of the
// status, headers and start of the body; none sends a credential.
package web

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() {
	audit.Register(pageCheck{name: "http-server-status", path: "/server-status?auto", judge: JudgeServerStatus})
	audit.Register(pageCheck{name: "http-directory-listing", path: "/", judge: JudgeListing})
	audit.Register(pageCheck{name: "http-version-banner", path: "/", judge: JudgeBanner})
	audit.Register(pageCheck{name: "http-pprof", path: "/debug/pprof/", judge: JudgePprof, services: goServices})
	audit.Register(pageCheck{name: "http-actuator", path: "/actuator/env", judge: JudgeActuator})
	audit.Register(pageCheck{name: "http-phpmyadmin", path: "/phpmyadmin/", judge: JudgePhpMyAdmin})
	audit.Register(basicAuthCheck{})
}

// bodyMax bounds the body read: enough of a page to judge.
const bodyMax = 32 << 10

// Page is what a GET returned: what the judges see.
type Page struct {
	Path   string
	Status int
	Header http.Header
	Body   []byte
	// TLS is set when the page came over TLS.
	TLS bool
}

// services are the identified services whose pages are judged.
var services = []string{"http"}

// goServices are services often written in Go, whose pprof pages are
// judged too: a Prometheus server serves /debug/pprof/ by default, etcd
// with --enable-pprof.
var goServices = []string{"http", "prometheus", "etcd", "influxdb"}

// pageCheck is one GET of one path, judged by a pure function.
type pageCheck struct {
	name     string
	path     string
	judge    func(Page) ([]record.Finding, error)
	services []string // nil: services
}

func (c pageCheck) Info() audit.Info {
	svcs := c.services
	if svcs == nil {
		svcs = services
	}
	return audit.Info{Name: c.name, Services: svcs, Proto: portspec.TCP}
}

func (c pageCheck) Run(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	p, err := Get(ctx, t, c.path)
	if err != nil {
		return nil, err
	}
	return c.judge(p)
}

// Get sends one GET of path to the service, as identification found it
// (in TLS when it runs there), and returns the page with the start of
// its body (at most bodyMax bytes).
func Get(ctx context.Context, t *audit.Target, path string) (Page, error) {
	p := Page{Path: path, TLS: t.Service != nil && t.Service.Tunnel == "ssl"}
	c, err := t.Dial(ctx)
	if err != nil {
		return p, err
	}
	defer c.Close()
	req := "GET " + path + " HTTP/1.1\r\nHost: " + hostHeader(t) + "\r\nUser-Agent: ajar-audit\r\nAccept: */*\r\nConnection: close\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		return p, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return p, fmt.Errorf("GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	p.Status, p.Header = resp.StatusCode, resp.Header
	p.Body, err = io.ReadAll(io.LimitReader(resp.Body, bodyMax))
	if err != nil && len(p.Body) == 0 && resp.ContentLength != 0 {
		return p, fmt.Errorf("GET %s: %w", path, err)
	}
	return p, nil
}

// hostHeader is the Host a request names: the name the user gave, or the
// address with its port.
func hostHeader(t *audit.Target) string {
	if t.Host != "" {
		return t.Host
	}
	return t.Addr.String()
}

// evidence is a page's status line and the part of it that shows the
// risk.
func evidence(p Page, what string) string {
	return audit.Evidence([]byte(fmt.Sprintf("GET %s: %d, %s", p.Path, p.Status, what)))
}

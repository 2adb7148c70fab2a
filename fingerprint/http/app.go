package http

import (
	"encoding/json"

	"github.com/ajarsec/ajar/record"
)

// An app is an application that speaks HTTP and is reported under its own
// service name (etcd, docker, elasticsearch): its knowledge lives in a
// file of its own, and the plugin consults every app of the list apps.
// Both functions are pure: they read responses and say what they show.
type app struct {
	// name is the service name the app reports.
	name string
	// ports are the app's usual ports, in clear and inside TLS: there
	// the http plugin is tried first.
	ports, tlsPorts []uint16
	// root judges the answer to "GET /". It returns the service when the
	// answer names the app, and a path to ask next when that path's
	// answer would tell more (a version) or settle whether this is the
	// app at all (then the service is nil). Both nil and "" when the
	// answer is not the app's.
	root func(r *Response) (svc *record.Service, next string)
	// next judges the answer to the path root asked for. found is what
	// root found, nil when it only asked. It returns the service, or
	// nil when the answer does not show the app (found then stands).
	next func(r *Response, found *record.Service) *record.Service
}

// apps is the list of applications, most specific first: the first whose
// root names the service wins.
var apps = []app{
	influxdbApp,
	dockerApp,
	elasticsearchApp,
	kubernetesApp,
	prometheusApp,
	etcdApp,
}

// maxAsks bounds the extra requests made to find out what a server that
// names nothing is (an etcd answers only under /version).
const maxAsks = 2

// rootVerdict is what the apps make of the answer to "GET /".
type rootVerdict struct {
	// found is the app that named the service, with its service and the
	// path that would tell more.
	found *app
	svc   *record.Service
	next  string
	// asks are the paths apps want to see, in order, with who asked.
	asks []ask
}

type ask struct {
	path string
	apps []*app
}

// judgeRoot runs every app's root on r.
func judgeRoot(r *Response) rootVerdict {
	var v rootVerdict
	for i := range apps {
		a := &apps[i]
		svc, next := a.root(r)
		if svc != nil {
			if svc.Name == "" {
				svc.Name = a.name
			}
			return rootVerdict{found: a, svc: svc, next: next}
		}
		if next == "" {
			continue
		}
		asked := false
		for j := range v.asks {
			if v.asks[j].path == next {
				v.asks[j].apps = append(v.asks[j].apps, a)
				asked = true
			}
		}
		if !asked && len(v.asks) < maxAsks {
			v.asks = append(v.asks, ask{path: next, apps: []*app{a}})
		}
	}
	return v
}

// judgeNext runs a's next on the answer to the path it asked for.
func judgeNext(a *app, r *Response, found *record.Service) *record.Service {
	svc := a.next(r, found)
	if svc != nil && svc.Name == "" {
		svc.Name = a.name
	}
	return svc
}

// jsonBody decodes a complete JSON body into v; false when the body is
// not whole JSON.
func jsonBody(r *Response, v any) bool {
	if !r.Complete || len(r.Body) == 0 {
		return false
	}
	return json.Unmarshal(r.Body, v) == nil
}

// noNext is the next of an app that never asks.
func noNext(*Response, *record.Service) *record.Service { return nil }

// appPorts are the usual ports of every app.
func appPorts() (clear, tls []uint16) {
	for _, a := range apps {
		clear = append(clear, a.ports...)
		tls = append(tls, a.tlsPorts...)
	}
	return clear, tls
}

// Package http recognises HTTP servers (RFC 9110, 9112): the web server
// named by its Server header and the page's title, the applications that
// speak HTTP and are reported under their own names (Elasticsearch, etcd,
// Docker, Kubernetes, Prometheus, InfluxDB: one file each, listed in
// apps), and forward proxies (Squid, tinyproxy), reported as http-proxy.
//
// It registers two plugins. "http" asks "GET /" on the web's ports;
// "http-proxy" asks its proxy ports for "GET http://<itself>/", an
// absolute-form request naming the proxy's own address, never another
// host. Each reports what the answer shows, so a proxy found on a web
// port is an http-proxy and a web server on a proxy port is http.
//
// The first request keeps the connection open: when the answer points to
// a path that would tell more (an etcd says its version only at
// /version), the plugin asks it on the same connection, at most twice.
package http

import (
	"context"
	"errors"
	"io"
	"slices"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() {
	fingerprint.Register(plugin{})
	fingerprint.Register(proxyPlugin{})
}

// Body limits: how much of a page is read for its title, and how much of
// an answer an app asked for.
const (
	rootBodyMax = 16 << 10
	nextBodyMax = 48 << 10
)

var (
	// webPorts and webTLSPorts are the web's own ports; the apps add
	// theirs.
	webPorts    = []uint16{80, 8000, 8008, 8080, 8081, 9000}
	webTLSPorts = []uint16{443, 8443, 4443, 9443}
	// ports and tlsPorts are the http plugin's ports, apps' included.
	ports, tlsPorts = allPorts()
	// proxyPorts are the usual ports of forward proxies: Squid's 3128,
	// tinyproxy's 8888, Privoxy's 8118, Polipo's 8123.
	proxyPorts = []uint16{3128, 8888, 8118, 8123}
)

func allPorts() (clear, tls []uint16) {
	ac, at := appPorts()
	clear = append(slices.Clone(webPorts), ac...)
	tls = append(slices.Clone(webTLSPorts), at...)
	slices.Sort(clear)
	slices.Sort(tls)
	return slices.Compact(clear), slices.Compact(tls)
}

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{
		Name:     "http",
		Proto:    portspec.TCP,
		Ports:    ports,
		TLSPorts: tlsPorts,
		Rarity:   1,
	}
}

func (plugin) Identify(ctx context.Context, c *fingerprint.Conn) (*record.Service, error) {
	return identify(ctx, c, "/")
}

type proxyPlugin struct{}

func (proxyPlugin) Info() fingerprint.Info {
	// Late among the rest: on a port no plugin claims, http has already
	// asked "GET /", whose answer names the proxies this plugin knows.
	return fingerprint.Info{
		Name:   proxyName,
		Proto:  portspec.TCP,
		Ports:  proxyPorts,
		Rarity: 8,
	}
}

func (proxyPlugin) Identify(ctx context.Context, c *fingerprint.Conn) (*record.Service, error) {
	// The absolute form names the proxy itself: a proxy that forwards
	// it talks only to itself.
	return identify(ctx, c, "http://"+c.HostPort()+"/")
}

// Parse judges one answer to "GET /" on its own: the proxy, the app or
// the web server it shows, without the requests an app may want to make
// next. It returns an error wrapping fingerprint.ErrNoMatch when b is not
// an HTTP response.
func Parse(b []byte) (*record.Service, error) {
	r, err := ParseResponse(b)
	if err != nil {
		return nil, err
	}
	if plainToTLS(r) {
		return nil, notHTTP("the port wants TLS")
	}
	if svc := Proxy(r, false); svc != nil {
		return svc, nil
	}
	if v := judgeRoot(r); v.svc != nil {
		return v.svc, nil
	}
	return webServer(r), nil
}

// identify asks for target and, when an app asks for it, one or two
// paths more on the same connection.
func identify(ctx context.Context, c *fingerprint.Conn, target string) (*record.Service, error) {
	r, err := get(c, target, rootBodyMax, false)
	if err != nil {
		return nil, err
	}
	if plainToTLS(r) {
		return nil, notHTTP("the port wants TLS")
	}
	if svc := Proxy(r, target != "/"); svc != nil {
		return svc, nil
	}
	v := judgeRoot(r)
	if v.found != nil {
		if v.next != "" && reusable(r) && ctx.Err() == nil {
			if r2, err := get(c, v.next, nextBodyMax, true); err == nil {
				if svc := judgeNext(v.found, r2, v.svc); svc != nil {
					return svc, nil
				}
			}
		}
		return v.svc, nil
	}
	prev := r
	for _, a := range v.asks {
		if !reusable(prev) || ctx.Err() != nil {
			break
		}
		r2, err := get(c, a.path, nextBodyMax, true)
		if err != nil {
			break
		}
		for _, ap := range a.apps {
			if svc := judgeNext(ap, r2, nil); svc != nil {
				return svc, nil
			}
		}
		prev = r2
	}
	if svc := connectSelf(ctx, c, prev); svc != nil {
		return svc, nil
	}
	return webServer(r), nil
}

// reusable reports whether the connection can carry another request
// after r.
func reusable(r *Response) bool { return r.HeadDone && r.Complete && !r.Close }

// get sends "GET target" and reads the answer, up to bodyMax bytes of
// body. The connection stays open for the next request; zip asks for a
// gzip body, which /metrics pages shrink ten times by.
func get(c *fingerprint.Conn, target string, bodyMax int, zip bool) (*Response, error) {
	req := "GET " + target + " HTTP/1.1\r\nHost: " + c.HostPort() +
		"\r\nUser-Agent: ajar\r\nAccept: */*\r\n"
	if zip {
		req += "Accept-Encoding: gzip\r\n"
	}
	req += "\r\n"
	b, err := c.Exchange([]byte(req), untilResponse(bodyMax), headMax+bodyMax+bodyMax/4)
	if len(b) == 0 {
		if err == nil || errors.Is(err, io.EOF) {
			err = notHTTP("no answer")
		}
		return nil, err
	}
	r, perr := ParseResponse(b)
	if perr != nil {
		return nil, perr
	}
	if errors.Is(err, io.EOF) && r.HeadDone && r.untilClose {
		// The body ran to the close that delimits it.
		r.Complete = true
	}
	return r, nil
}

package http

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	nethttp "net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/portspec"
)

// serveHTTP runs a real net/http server on loopback; tlsConf makes it
// HTTPS.
func serveHTTP(t *testing.T, h nethttp.Handler, tlsConf *tls.Config) netip.AddrPort {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &nethttp.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, TLSConfig: tlsConf}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if tlsConf != nil {
			srv.ServeTLS(l, "", "")
		} else {
			srv.Serve(l)
		}
	}()
	t.Cleanup(func() { srv.Close(); <-done })
	return l.Addr().(*net.TCPAddr).AddrPort()
}

// counted counts the requests a handler serves.
func counted(n *atomic.Int32, h nethttp.Handler) nethttp.Handler {
	return nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		n.Add(1)
		h.ServeHTTP(w, r)
	})
}

func jsonAt(path, body string) nethttp.Handler {
	mux := nethttp.NewServeMux()
	mux.HandleFunc("GET "+path, func(w nethttp.ResponseWriter, _ *nethttp.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, body)
	})
	return mux
}

func TestIdentifyEtcd(t *testing.T) {
	var n atomic.Int32
	addr := serveHTTP(t, counted(&n, jsonAt("/version", etcdVersionBody)), nil)
	svc := fptest.MustMatch(t, plugin{}, addr)
	if svc.Name != "etcd" || svc.Product != "etcd" || svc.Version != "3.4.23" || svc.Method != "probed" {
		t.Errorf("got %+v", svc)
	}
	if n.Load() != 2 {
		t.Errorf("%d requests, want 2 (/ and /version)", n.Load())
	}
}

// TestIdentifyGoOnly: a Go server with nothing to say is asked twice more
// (/version, /metrics) and then named as Go's net/http.
func TestIdentifyGoOnly(t *testing.T) {
	var n atomic.Int32
	addr := serveHTTP(t, counted(&n, nethttp.NotFoundHandler()), nil)
	svc := fptest.MustMatch(t, plugin{}, addr)
	if svc.Name != "http" || svc.Product != "Go net/http" {
		t.Errorf("got %+v", svc)
	}
	// "/", the two paths apps ask for, and a CONNECT to itself.
	if n.Load() != 4 {
		t.Errorf("%d requests, want 4", n.Load())
	}
}

// TestIdentifyNoReuse: when the server closes after the first answer, no
// other path is asked; only the CONNECT that tells a proxy, on a new
// connection.
func TestIdentifyNoReuse(t *testing.T) {
	var n atomic.Int32
	h := jsonAt("/version", etcdVersionBody)
	addr := serveHTTP(t, counted(&n, nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		w.Header().Set("Connection", "close")
		h.ServeHTTP(w, r)
	})), nil)
	svc := fptest.MustMatch(t, plugin{}, addr)
	if svc.Name != "http" || svc.Product != "Go net/http" || n.Load() != 2 {
		t.Errorf("got %+v after %d requests", svc, n.Load())
	}
}

func TestIdentifyKubernetes(t *testing.T) {
	mux := nethttp.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w nethttp.ResponseWriter, _ *nethttp.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(403)
		fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"forbidden","reason":"Forbidden","details":{},"code":403}`)
	})
	mux.Handle("GET /version", jsonAt("/version", kubeVersionBody))
	svc := fptest.MustMatch(t, plugin{}, serveHTTP(t, mux, nil))
	if svc.Name != "kubernetes" || svc.Version != "1.27.3" || svc.ExtraInfo != "platform linux/amd64" {
		t.Errorf("got %+v", svc)
	}
}

func TestIdentifyDocker(t *testing.T) {
	mux := nethttp.NewServeMux()
	mux.Handle("GET /version", jsonAt("/version", dockerVersionBody))
	h := nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		w.Header().Set("Server", "Docker/20.10.24+dfsg1 (linux)")
		w.Header().Set("Api-Version", "1.41")
		w.Header().Set("Ostype", "linux")
		mux.ServeHTTP(w, r)
	})
	svc := fptest.MustMatch(t, plugin{}, serveHTTP(t, h, nil))
	if svc.Name != "docker" || svc.Version != "20.10.24+dfsg1" || svc.Confidence != 10 {
		t.Errorf("got %+v", svc)
	}
}

// TestIdentifyNodeExporter serves a /metrics larger than the connection's
// byte budget: the version still comes, through the gzip coding.
func TestIdentifyNodeExporter(t *testing.T) {
	var metrics strings.Builder
	metrics.WriteString("# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.\n# TYPE node_cpu_seconds_total counter\n")
	for i := 0; i < 2000; i++ {
		fmt.Fprintf(&metrics, "node_cpu_seconds_total{cpu=\"%d\",mode=\"idle\"} %d.25\n", i, 1000+i)
	}
	metrics.WriteString(nodeMetricsBody[strings.Index(nodeMetricsBody, "# HELP node_exporter"):])
	mux := nethttp.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w nethttp.ResponseWriter, _ *nethttp.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<html><head><title>Node Exporter</title></head><body><a href="/metrics">Metrics</a></body></html>`)
	})
	mux.HandleFunc("GET /metrics", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			fmt.Fprint(w, metrics.String())
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		fmt.Fprint(zw, metrics.String())
		zw.Close()
	})
	if metrics.Len() < 80<<10 {
		t.Fatalf("metrics only %d bytes", metrics.Len())
	}
	svc := fptest.MustMatch(t, plugin{}, serveHTTP(t, mux, nil))
	if svc.Name != "prometheus" || svc.Product != "Prometheus Node Exporter" || svc.Version != "1.5.0" {
		t.Errorf("got %+v", svc)
	}
}

// whole makes a cut capture whole again: its Content-Length becomes the
// length of the body it kept, so that a client does not wait for more.
func whole(capture string) string {
	head, body, _ := strings.Cut(capture, "\r\n\r\n")
	var out []string
	for _, line := range strings.Split(head, "\r\n") {
		if name, _, _ := strings.Cut(line, ":"); strings.EqualFold(name, "Content-Length") {
			line = name + ": " + strconv.Itoa(len(body))
		}
		out = append(out, line)
	}
	return strings.Join(out, "\r\n") + "\r\n\r\n" + body
}

// replyClose answers the first request with answer and closes, as a
// server does after "Connection: close".
func replyClose(answer string) func(net.Conn) {
	return func(c net.Conn) {
		c.Read(make([]byte, 1024))
		c.Write([]byte(answer))
	}
}

func TestIdentifyScripted(t *testing.T) {
	for _, tt := range []struct{ name, answer, service, product string }{
		{"nginx", nginxRoot, "http", "nginx"},
		{"apache", apacheRoot, "http", "Apache httpd"},
		{"squid", squidRoot, "http-proxy", "Squid http proxy"},
		{"tinyproxy", tinyproxyRoot, "http-proxy", "tinyproxy"},
		{"influxdb", influxRoot, "influxdb", "InfluxDB"},
		{"elasticsearch", elasticRoot, "elasticsearch", "Elasticsearch"},
	} {
		addr := fptest.Serve(t, replyClose(whole(tt.answer)))
		svc := fptest.MustMatch(t, plugin{}, addr)
		if svc.Name != tt.service || svc.Product != tt.product {
			t.Errorf("%s: got %+v", tt.name, svc)
		}
	}
}

// TestIdentifyNotHTTP: other protocols, TLS and silence are no match.
func TestIdentifyNotHTTP(t *testing.T) {
	for _, answer := range []string{
		"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
		"RTSP/1.0 400 Bad Request\r\nCSeq: 0\r\n\r\n",
		"\x15\x03\x01\x00\x02\x02\x50",
		whole(nginxPlainToTLS),
	} {
		addr := fptest.Serve(t, fptest.Reply([]byte(answer), 16))
		fptest.MustNotMatch(t, plugin{}, addr)
		fptest.MustNotMatch(t, proxyPlugin{}, addr)
	}
	silent := fptest.Serve(t, func(c net.Conn) { c.Read(make([]byte, 1024)); time.Sleep(4 * time.Second) })
	fptest.MustNotMatch(t, plugin{}, silent)
}

// TestIdentifyBounded: a server that never stops sending costs a bounded
// read, and the answer still names it.
func TestIdentifyBounded(t *testing.T) {
	endless := func(head string) func(net.Conn) {
		return func(c net.Conn) {
			c.Read(make([]byte, 1024))
			c.Write([]byte(head))
			chunk := []byte(strings.Repeat("X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n", 64))
			for i := 0; i < 10000; i++ {
				if _, err := c.Write(chunk); err != nil {
					return
				}
			}
		}
	}
	body := fptest.Serve(t, endless("HTTP/1.1 200 OK\r\nServer: nginx\r\n\r\n"))
	svc := fptest.MustMatch(t, plugin{}, body)
	if svc.Product != "nginx" || svc.Confidence != 10 {
		t.Errorf("endless body: %+v", svc)
	}
	head := fptest.Serve(t, endless("HTTP/1.1 200 OK\r\nServer: nginx\r\n"))
	svc = fptest.MustMatch(t, plugin{}, head)
	if svc.Product != "nginx" || svc.Confidence != 7 {
		t.Errorf("endless head: %+v", svc)
	}
}

// TestProxyPluginAbsolute checks that the http-proxy plugin asks the
// proxy for its own address in absolute form, and names what answers.
func TestProxyPluginAbsolute(t *testing.T) {
	var got atomic.Value
	addr := fptest.Serve(t, func(c net.Conn) {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		line, _ := bufio.NewReader(c).ReadString('\n')
		got.Store(line)
		c.Write([]byte(whole(squidSelf)))
	})
	svc := fptest.MustMatch(t, proxyPlugin{}, addr)
	if svc.Name != "http-proxy" || svc.Product != "Squid http proxy" || svc.Version != "5.7" {
		t.Errorf("got %+v", svc)
	}
	if want := "GET http://" + addr.String() + "/ HTTP/1.1\r\n"; got.Load() != want {
		t.Errorf("request line %q, want %q", got.Load(), want)
	}
	// A web server on a proxy port is named as one.
	web := fptest.Serve(t, fptest.Reply([]byte(whole(nginxRoot)), 16))
	if svc := fptest.MustMatch(t, proxyPlugin{}, web); svc.Name != "http" || svc.Product != "nginx" {
		t.Errorf("web server: %+v", svc)
	}
}

// TestIdentifyTLS runs the whole identification on an HTTPS server on a
// port nobody claims: the clear request is refused, TLS is tried, and
// http inside it names the server.
func TestIdentifyTLS(t *testing.T) {
	addr := serveHTTP(t, nethttp.HandlerFunc(func(w nethttp.ResponseWriter, _ *nethttp.Request) {
		w.Header().Set("Server", "Caddy")
		fmt.Fprint(w, "<title>secure</title>")
	}), fptest.TLSConfig(t, "", "localhost"))
	cfg := fingerprint.Config{Timeout: 8 * time.Second, ProbeTimeout: 2 * time.Second, BannerWait: 200 * time.Millisecond}
	svc, err := cfg.Identify(context.Background(), fingerprint.Target{Addr: addr, Proto: portspec.TCP})
	if err != nil {
		t.Fatal(err)
	}
	if svc.Name != "http" || svc.Product != "Caddy" || svc.Tunnel != "ssl" || svc.TLS == nil || svc.ExtraInfo != "title: secure" {
		t.Errorf("got %+v", svc)
	}
}

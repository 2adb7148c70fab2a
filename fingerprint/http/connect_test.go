package http

import (
	"bufio"
	"net"
	"strings"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// Answers of real daemons (Privoxy 3.0.34, Ziproxy 3.3.2, nginx 1.22.1)
// to "GET /" and to "CONNECT <themselves>".
const (
	privoxyRoot    = "HTTP/1.1 400 Invalid header received from client\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nInvalid header received from client.\r\n"
	privoxyConnect = "HTTP/1.1 200 Connection established\r\n\r\n"
	ziproxyRoot    = "HTTP/1.1 400 Bad Request\r\nServer: ziproxy\r\nDate: Fri, 04 Dec 2026 17:17:05 GMT\r\nContent-Type: text/html\r\n" +
		"Connection: close\r\nProxy-Connection: close\r\n\r\n<HTML><HEAD><TITLE>400 Bad Request</TITLE></HEAD>\n"
	nginxConnect = "HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
	// careless answers every method with its page.
	careless = "HTTP/1.1 200 OK\r\nServer: toy\r\nContent-Length: 5\r\n\r\nhello"
	squid407 = "HTTP/1.1 407 Proxy Authentication Required\r\nServer: toy\r\nProxy-Authenticate: Basic realm=\"x\"\r\nContent-Length: 0\r\n\r\n"
)

// varnish503 is Varnish 7.1's own answer when its backend is down.
const varnish503 = "HTTP/1.1 503 Backend fetch failed\r\nDate: Fri, 04 Dec 2026 17:40:00 GMT\r\nServer: Varnish\r\n" +
	"Content-Type: text/html; charset=utf-8\r\nRetry-After: 5\r\nX-Varnish: 32770\r\nAge: 0\r\n" +
	"Via: 1.1 varnish (Varnish/7.1)\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n"

func TestVarnishVia(t *testing.T) {
	svc, err := Parse([]byte(varnish503))
	if err != nil || svc.Name != "http" || svc.Product != "Varnish" || svc.Version != "7.1" {
		t.Errorf("Parse(varnish503) = %+v, %v", svc, err)
	}
	// Behind a web server that names itself, Varnish stays a hop.
	lighttpd := "HTTP/1.1 200 OK\r\nServer: lighttpd/1.4.69\r\nVia: 1.1 varnish (Varnish/7.1)\r\nContent-Length: 0\r\n\r\n"
	if svc, err := Parse([]byte(lighttpd)); err != nil || svc.Product != "lighttpd" || svc.Version != "1.4.69" {
		t.Errorf("Parse(lighttpd behind varnish) = %+v, %v", svc, err)
	}
}

// cups404 is CUPS 2.4.2's (Debian 12) answer to "GET /" without its web
// pages.
const cups404 = "HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Language: en\r\nContent-Length: 0\r\n" +
	"Content-Type: text/html; charset=utf-8\r\nDate: Fri, 04 Dec 2026 18:00:29 GMT\r\nAccept-Encoding: gzip, deflate, identity\r\n" +
	"Server: CUPS/2.4.2 (Linux 6.18.44-fc-v1272; x86_64) IPP/2.1\r\nX-Frame-Options: DENY\r\n\r\n"

func TestIPP(t *testing.T) {
	svc, err := Parse([]byte(cups404))
	if err != nil || svc.Name != "ipp" || svc.Product != "CUPS" || svc.Version != "2.4.2" {
		t.Errorf("Parse(cups404) = %+v, %v", svc, err)
	}
	for _, sh := range []string{"nginx/1.22.1", "IPP", "Apache (IPP/x)", ""} {
		if v := ippToken(sh); v != "" {
			t.Errorf("ippToken(%q) = %q", sh, v)
		}
	}
}

func TestConnectAnswer(t *testing.T) {
	for _, tt := range []struct {
		answer, want string
	}{
		{privoxyConnect, "http-proxy"},
		{"HTTP/1.0 200 Connection established\r\n\r\n", "http-proxy"},
		{squid407, "http-proxy"},
		{whole(squidDenied), "http-proxy"},
		{ziproxyRoot, "http-proxy"},
		{nginxConnect, ""},
		{careless, ""},
		{"HTTP/1.1 405 Method Not Allowed\r\nAllow: GET\r\n\r\n", ""},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", ""},
	} {
		r, err := ParseResponse([]byte(tt.answer))
		if err != nil {
			t.Fatalf("%q: %v", tt.answer, err)
		}
		got := ""
		if svc := ConnectAnswer(r); svc != nil {
			got = svc.Name
		}
		if got != tt.want {
			t.Errorf("ConnectAnswer(%q) = %q, want %q", tt.answer, got, tt.want)
		}
	}
}

// methods answers "GET /" with root and "CONNECT" with connect, then
// closes when the answer says so.
func methods(root, connect string) func(net.Conn) {
	return func(c net.Conn) {
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			for { // the rest of the head
				h, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if h == "\r\n" {
					break
				}
			}
			ans := root
			if strings.HasPrefix(line, "CONNECT ") {
				ans = connect
			}
			c.Write([]byte(ans))
			if strings.Contains(ans, "Connection: close") {
				return
			}
		}
	}
}

// TestIdentifyProxyOnWebPort: a proxy that answers "GET /" like a web
// server is an http-proxy by its answer to CONNECT to itself, on a new
// connection when the first was closed; web servers stay http.
func TestIdentifyProxyOnWebPort(t *testing.T) {
	for _, tt := range []struct {
		name, root, connect, want string
	}{
		{"privoxy", privoxyRoot, privoxyConnect, "http-proxy"},
		{"ziproxy", ziproxyRoot, privoxyConnect, "http-proxy"},
		{"auth", careless, squid407, "http-proxy"},
		{"nginx", whole(nginxRoot), nginxConnect, "http"},
		{"careless", careless, careless, "http"},
	} {
		addr := fptest.Serve(t, methods(tt.root, tt.connect))
		svc := fptest.MustMatch(t, plugin{}, addr)
		if svc.Name != tt.want {
			t.Errorf("%s: got %+v, want %s", tt.name, svc, tt.want)
		}
		// On a proxy's own port, asked in absolute form, the same.
		if svc := fptest.MustMatch(t, proxyPlugin{}, addr); svc.Name != tt.want {
			t.Errorf("%s, absolute form: got %+v, want %s", tt.name, svc, tt.want)
		}
	}
}

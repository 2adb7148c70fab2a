package http

import (
	"bytes"
	"context"
	"strings"
	"time"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/record"
)

// proxyName is the service name of a forward HTTP proxy.
const proxyName = "http-proxy"

// proxies are forward proxies known by their Server header (or, for some,
// the Proxy-Agent header).
var proxies = []server{
	{token: "squid", product: "Squid http proxy", vendor: "squid-cache", cpe: "squid"},
	{token: "tinyproxy", product: "tinyproxy", vendor: "tinyproxy_project", cpe: "tinyproxy"},
	{token: "Privoxy", product: "Privoxy http proxy", vendor: "privoxy", cpe: "privoxy"},
	{token: "Polipo", product: "Polipo http proxy", vendor: "polipo_project", cpe: "polipo"},
	{token: "CCProxy", product: "CCProxy http proxy", vendor: "youngzsoft", cpe: "ccproxy"},
	{token: "ziproxy", product: "Ziproxy http proxy", vendor: "ziproxy_project", cpe: "ziproxy"},
}

// Proxy is the http-proxy service a response shows, or nil when it shows
// a web server. A proxy shows itself by its own error pages and headers
// (Squid's X-Squid-Error, a Server or Proxy-Agent naming a proxy), by
// asking for proxy authentication (407 with Proxy-Authenticate), or, for
// absolute-form requests to itself (selfRequest), by relaying the request
// to itself: its Via names the same hop twice.
func Proxy(r *Response, selfRequest bool) *record.Service {
	svc := &record.Service{Name: proxyName, Confidence: 10}
	found := false
	for _, h := range []string{"Server", "Proxy-Agent"} {
		if v := r.Header.Get(h); v != "" && knownProxy(svc, v) {
			found = true
			break
		}
	}
	if !found && r.Header.Has("X-Squid-Error") {
		svc.Product = "Squid http proxy"
		svc.CPE = []string{fingerprint.CPE("squid-cache", "squid", "")}
		found = true
	}
	if !found && r.Header.Has("Proxy-Connection") {
		// A hop-by-hop field of proxies (RFC 9112 appendix C.2.2),
		// which no origin server sends.
		found = true
		describeServer(svc, r.Header.Get("Server"))
		svc.Name = proxyName
	}
	if !found && r.Status == 407 && r.Header.Has("Proxy-Authenticate") {
		found = true
		describeServer(svc, r.Header.Get("Server"))
		svc.Name = proxyName
	}
	if !found && selfRequest && relayedToItself(r) {
		found = true
		svc.Confidence = 8
		if sh := r.Header.Get("Server"); sh != "" {
			describeServer(svc, sh)
		}
	}
	if !found {
		return nil
	}
	if svc.Product == "tinyproxy" && svc.Version == "" {
		svc.Version = tinyproxyPageVersion(r.Body)
		svc.CPE = []string{fingerprint.CPE("tinyproxy_project", "tinyproxy", svc.Version)}
	}
	var extra []string
	if r.Status == 407 {
		extra = append(extra, "proxy authentication required")
	}
	if e := r.Header.Get("X-Squid-Error"); e != "" {
		code, _, _ := strings.Cut(e, " ")
		extra = append(extra, "error "+clean(code, 40))
	}
	svc.ExtraInfo = strings.Join(extra, "; ")
	return svc
}

// knownProxy fills svc when v (a Server or Proxy-Agent value) names a
// known proxy.
func knownProxy(svc *record.Service, v string) bool {
	toks := splitProducts(v)
	if len(toks) == 0 {
		return false
	}
	name, version := toks[0].name, toks[0].version
	if version == "" && len(toks) > 1 && toks[1].name != "" && startsWithDigit(toks[1].name) {
		// "Privoxy 3.0.34"
		version = toks[1].name
	}
	for _, p := range proxies {
		if strings.EqualFold(p.token, name) {
			svc.Product, svc.Version = p.product, version
			svc.CPE = []string{fingerprint.CPE(p.vendor, p.cpe, version)}
			return true
		}
	}
	return false
}

func startsWithDigit(s string) bool { return s != "" && isDigit(s[0]) }

// relayedToItself reports a Via field that names the same hop twice in a
// row: the proxy forwarded a request for its own address to itself.
func relayedToItself(r *Response) bool {
	var hops []string
	for _, v := range r.Header.Values("Via") {
		for _, h := range strings.Split(v, ",") {
			if h = strings.TrimSpace(h); h != "" {
				hops = append(hops, h)
			}
		}
	}
	for i := 1; i < len(hops); i++ {
		if strings.EqualFold(hops[i], hops[i-1]) {
			return true
		}
	}
	return false
}

// connectSelf asks a web server whether it is a proxy: "CONNECT" to its
// own address and port, never another, on the same connection when prev
// left it open, else on a new one. It returns the http-proxy service the
// answer shows, or nil.
func connectSelf(ctx context.Context, c *fingerprint.Conn, prev *Response) *record.Service {
	if ctx.Err() != nil {
		return nil
	}
	conn := c
	if !reusable(prev) {
		n, err := c.Redial(ctx)
		if err != nil {
			return nil
		}
		defer n.Close()
		conn = n
	}
	self := c.HostPort()
	req := "CONNECT " + self + " HTTP/1.1\r\nHost: " + self + "\r\nUser-Agent: ajar\r\n\r\n"
	// A tunnel has no body: the head is the whole answer.
	b, err := conn.Exchange([]byte(req), headDone, headMax)
	if len(b) == 0 && err != nil {
		return nil
	}
	r, err := ParseResponse(b)
	if err != nil || !r.HeadDone {
		return nil
	}
	if r.Status/100 == 2 && len(r.Body) == 0 {
		// A tunnel stays quiet until the client speaks: a server that
		// sends on is answering with a page.
		conn.Shorten(tunnelQuiet)
		var one [1]byte
		if n, _ := conn.Read(one[:]); n > 0 {
			return nil
		}
	}
	return ConnectAnswer(r)
}

// tunnelQuiet is how long a tunnel must stay quiet after a 2xx answer to
// CONNECT.
const tunnelQuiet = 200 * time.Millisecond

// headDone is a ReadUntil test: the head of a response has arrived, or
// bytes that are not one.
func headDone(b []byte) bool {
	if n := min(len(b), 5); !bytes.Equal(b[:n], []byte("HTTP/")[:n]) {
		return true
	}
	return bytes.Contains(b, []byte("\r\n\r\n")) || bytes.Contains(b, []byte("\n\n")) || len(b) >= headMax
}

// ConnectAnswer judges the answer to a CONNECT to the server itself: a
// proxy opens the tunnel (2xx with no body: neither Content-Length nor
// Transfer-Encoding, RFC 9110 section 9.3.6), asks for proxy
// authentication, or refuses in a way only proxies do (Proxy). A web
// server refuses with 400, 405 or 501, or, careless, answers any method
// with its page, which has a body.
func ConnectAnswer(r *Response) *record.Service {
	if svc := Proxy(r, false); svc != nil {
		return svc
	}
	if r.Status < 200 || r.Status > 299 || !r.HeadDone || len(r.Body) > 0 ||
		r.Header.Has("Content-Length") || r.Header.Has("Transfer-Encoding") {
		return nil
	}
	svc := &record.Service{Name: proxyName, Confidence: 9, ExtraInfo: "CONNECT to itself opened a tunnel"}
	if sh := r.Header.Get("Server"); sh != "" {
		describeServer(svc, sh)
		svc.Name = proxyName
	}
	return svc
}

// tinyproxyPageVersion reads "Generated by tinyproxy version 1.11.1." from
// a tinyproxy error page.
func tinyproxyPageVersion(body []byte) string {
	const mark = "</a> version "
	i := bytes.Index(body, []byte("tinyproxy"+mark))
	if i < 0 {
		return ""
	}
	v := body[i+len("tinyproxy"+mark):]
	end := 0
	for end < len(v) && end < 20 && (isDigit(v[end]) || v[end] == '.') {
		end++
	}
	return strings.TrimRight(string(v[:end]), ".")
}

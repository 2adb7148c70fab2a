package http

import (
	"bytes"
	"html"
	"strings"
	"unicode"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/record"
)

// A server is a web server known by the first product of its Server
// header ("nginx/1.22.1"): the name to report and its CPE vendor and
// product ("" for none).
type server struct {
	token, product, vendor, cpe string
	// noVersion says the token's version is not the product's (Coyote's
	// 1.1 is not Tomcat's version).
	noVersion bool
}

// servers are matched case-insensitively on the Server header's first
// product token.
var servers = []server{
	{token: "nginx", product: "nginx", vendor: "f5", cpe: "nginx"},
	{token: "CUPS", product: "CUPS", vendor: "apple", cpe: "cups"},
	{token: "Apache", product: "Apache httpd", vendor: "apache", cpe: "http_server"},
	{token: "lighttpd", product: "lighttpd", vendor: "lighttpd", cpe: "lighttpd"},
	{token: "Microsoft-IIS", product: "Microsoft IIS httpd", vendor: "microsoft", cpe: "internet_information_services"},
	{token: "Microsoft-HTTPAPI", product: "Microsoft HTTPAPI httpd"},
	{token: "Caddy", product: "Caddy", vendor: "caddyserver", cpe: "caddy"},
	{token: "LiteSpeed", product: "LiteSpeed httpd", vendor: "litespeedtech", cpe: "litespeed_web_server"},
	{token: "OpenLiteSpeed", product: "OpenLiteSpeed", vendor: "litespeedtech", cpe: "openlitespeed"},
	{token: "Jetty", product: "Jetty", vendor: "eclipse", cpe: "jetty"},
	{token: "Apache-Coyote", product: "Apache Tomcat", vendor: "apache", cpe: "tomcat", noVersion: true},
	{token: "Werkzeug", product: "Werkzeug httpd", vendor: "palletsprojects", cpe: "werkzeug"},
	{token: "gunicorn", product: "Gunicorn", vendor: "gunicorn", cpe: "gunicorn"},
	{token: "uvicorn", product: "Uvicorn", vendor: "encode", cpe: "uvicorn"},
	{token: "hypercorn", product: "Hypercorn"},
	{token: "TornadoServer", product: "Tornado httpd", vendor: "tornadoweb", cpe: "tornado"},
	{token: "CherryPy", product: "CherryPy httpd", vendor: "cherrypy", cpe: "cherrypy"},
	{token: "SimpleHTTP", product: "SimpleHTTPServer", vendor: "python", cpe: "python", noVersion: true},
	{token: "BaseHTTP", product: "BaseHTTPServer", vendor: "python", cpe: "python", noVersion: true},
	{token: "envoy", product: "Envoy", vendor: "envoyproxy", cpe: "envoy"},
	{token: "Traefik", product: "Traefik", vendor: "traefik", cpe: "traefik"},
	{token: "HAProxy", product: "HAProxy", vendor: "haproxy", cpe: "haproxy"},
	{token: "openresty", product: "OpenResty", vendor: "openresty", cpe: "openresty"},
	{token: "Tengine", product: "Tengine", vendor: "alibaba", cpe: "tengine"},
	{token: "Kestrel", product: "Microsoft Kestrel httpd", vendor: "microsoft", cpe: "kestrel"},
	{token: "Cowboy", product: "Cowboy httpd", vendor: "ninenines", cpe: "cowboy"},
	{token: "CouchDB", product: "CouchDB httpd", vendor: "apache", cpe: "couchdb"},
	{token: "thttpd", product: "thttpd", vendor: "acme", cpe: "thttpd"},
	{token: "mini_httpd", product: "mini_httpd", vendor: "acme", cpe: "mini_httpd"},
	{token: "Boa", product: "Boa httpd", vendor: "boa", cpe: "boa"},
	{token: "GoAhead-Webs", product: "GoAhead WebServer", vendor: "embedthis", cpe: "goahead"},
	{token: "Varnish", product: "Varnish", vendor: "varnish-cache", cpe: "varnish"},
	{token: "ATS", product: "Apache Traffic Server", vendor: "apache", cpe: "traffic_server"},
	{token: "h2o", product: "H2O httpd", vendor: "dena", cpe: "h2o"},
	{token: "MinIO", product: "MinIO", vendor: "minio", cpe: "minio"},
	{token: "Python", product: "Python http.server", vendor: "python", cpe: "python"},
}

// token is one part of a Server or User-Agent field: "name/version" and
// the comment in parentheses after it.
type token struct{ name, version, comment string }

// splitProducts splits "Apache/2.4.57 (Debian) OpenSSL/3.0.9" into its
// product tokens; "Jetty(9.4.z)" gives the comment as the version.
func splitProducts(s string) []token {
	var out []token
	for s = strings.TrimSpace(s); s != "" && len(out) < 16; s = strings.TrimSpace(s) {
		if s[0] == '(' {
			c, rest := cutComment(s)
			if len(out) > 0 && out[len(out)-1].comment == "" {
				out[len(out)-1].comment = c
			} else {
				out = append(out, token{comment: c})
			}
			s = rest
			continue
		}
		end := strings.IndexAny(s, " (")
		if end < 0 {
			end = len(s)
		}
		name, version, _ := strings.Cut(s[:end], "/")
		out = append(out, token{name: name, version: version})
		s = s[end:]
		if version == "" && strings.HasPrefix(s, "(") && len(out) == 1 {
			// Jetty(9.4.44.v20210927)
			out[0].version, s = cutComment(s)
		}
	}
	return out
}

// cutComment cuts a parenthesised comment, nested ones included, from
// the start of s.
func cutComment(s string) (comment, rest string) {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return strings.TrimSpace(s[1:i]), s[i+1:]
			}
		}
	}
	return strings.TrimSpace(strings.TrimLeft(s, "(")), ""
}

// webServer is the plain "http" service a response shows: the product of
// its Server header (or the signature of Go's net/http) and the page's
// title.
func webServer(r *Response) *record.Service {
	svc := &record.Service{Name: "http", Confidence: 10}
	if !r.HeadDone {
		svc.Confidence = 7
	}
	var extra []string
	if sh := r.Header.Get("Server"); sh != "" {
		extra = describeServer(svc, sh)
	} else if isGoServer(r) {
		svc.Product = "Go net/http"
		svc.CPE = []string{fingerprint.CPE("golang", "go", "")}
	} else if v := haproxyStats(r); v != "" {
		svc.Product, svc.Version = "HAProxy", v
		svc.CPE = []string{fingerprint.CPE("haproxy", "haproxy", v)}
	} else if isHAProxyError(r) {
		svc.Product = "HAProxy"
		svc.CPE = []string{fingerprint.CPE("haproxy", "haproxy", "")}
	}
	varnishVia(svc, r)
	if v := ippToken(r.Header.Get("Server")); v != "" {
		// A printer's server (CUPS/2.4.2 ... IPP/2.1): the port serves
		// the Internet Printing Protocol over HTTP (RFC 8010).
		svc.Name = "ipp"
	}
	if t := Title(r); t != "" {
		extra = append(extra, "title: "+t)
	}
	svc.ExtraInfo = strings.Join(extra, "; ")
	return svc
}

// ippToken returns the version of an "IPP/2.1" product token in a
// Server field, "" when there is none.
func ippToken(sh string) string {
	for _, t := range splitProducts(sh) {
		if strings.EqualFold(t.name, "IPP") && t.version != "" && isDigit(t.version[0]) {
			return t.version
		}
	}
	return ""
}

// varnishVia names Varnish, and its version, from the Via field it adds
// to every answer ("1.1 varnish (Varnish/7.1)"), where the Server field
// is a backend's, or Varnish's own without a version.
func varnishVia(svc *record.Service, r *Response) {
	if svc.Product != "" && (svc.Product != "Varnish" || svc.Version != "") {
		return
	}
	for _, v := range r.Header.Values("Via") {
		_, after, ok := strings.Cut(v, "(Varnish/")
		if !ok {
			continue
		}
		ver, _, ok := strings.Cut(after, ")")
		if !ok || ver == "" || len(ver) > 20 || !isDigit(ver[0]) {
			continue
		}
		svc.Product, svc.Version = "Varnish", ver
		svc.CPE = []string{fingerprint.CPE("varnish-cache", "varnish", ver)}
		return
	}
}

// describeServer fills svc from a Server header and returns what goes in
// the extra information.
func describeServer(svc *record.Service, sh string) []string {
	toks := splitProducts(sh)
	if len(toks) == 0 || toks[0].name == "" {
		svc.Product = clean(sh, 80)
		return nil
	}
	first := toks[0]
	svc.Product, svc.Version = first.name, first.version
	var extra []string
	if first.comment != "" {
		extra = append(extra, first.comment)
	}
	for _, s := range servers {
		if !strings.EqualFold(s.token, first.name) {
			continue
		}
		svc.Product = s.product
		if s.noVersion {
			svc.Version = ""
			if first.version != "" {
				extra = append(extra, first.name+" "+first.version)
			}
		}
		if s.vendor != "" {
			svc.CPE = []string{fingerprint.CPE(s.vendor, s.cpe, svc.Version)}
		}
		break
	}
	var rest []string
	for _, t := range toks[1:] {
		if t.name == "" {
			continue
		}
		part := t.name
		if t.version != "" {
			part += "/" + t.version
		}
		rest = append(rest, part)
	}
	if len(rest) > 0 {
		extra = append(extra, strings.Join(rest, " "))
	}
	return extra
}

// isGoServer reports the signature of Go's net/http: no Server header,
// and its own plain-text error or HTML redirect bodies.
func isGoServer(r *Response) bool {
	ct := r.Header.Get("Content-Type")
	switch {
	case r.Status == 404 && ct == "text/plain; charset=utf-8" && string(r.Body) == "404 page not found\n":
		return true
	case r.Status >= 300 && r.Status < 400 && ct == "text/html; charset=utf-8" &&
		bytes.HasPrefix(r.Body, []byte(`<a href="`)) && bytes.HasSuffix(r.Body, []byte("</a>.\n\n")):
		return true
	}
	return false
}

// haproxyStats returns HAProxy's version from its statistics page.
func haproxyStats(r *Response) string {
	const mark = "HAProxy version "
	i := bytes.Index(r.Body, []byte(mark))
	if i < 0 || !strings.HasPrefix(Title(r), "Statistics Report for HAProxy") {
		return ""
	}
	v := r.Body[i+len(mark):]
	end := bytes.IndexAny(v, ", <")
	if end < 0 || end > 40 {
		return ""
	}
	// "2.6.12-1+deb12u4": the distribution's revision follows a dash.
	ver, _, _ := strings.Cut(string(v[:end]), "-")
	return ver
}

// isHAProxyError reports HAProxy's own error pages, which name no server.
func isHAProxyError(r *Response) bool {
	return r.Status >= 400 && !r.Header.Has("Server") &&
		bytes.HasPrefix(r.Body, []byte("<html><body><h1>")) &&
		(bytes.Contains(r.Body, []byte("No server is available to handle this request.")) ||
			bytes.Contains(r.Body, []byte("The server didn't respond in time.")))
}

// plainToTLS reports a server's complaint that a request in clear came to
// its TLS port: the port speaks HTTP inside TLS, which the core then
// tries.
func plainToTLS(r *Response) bool {
	if r.Status != 400 && r.Status != 497 {
		return false
	}
	for _, s := range []string{
		"The plain HTTP request was sent to HTTPS port",          // nginx
		"speaking plain HTTP to an SSL-enabled server port",      // Apache httpd
		"Client sent an HTTP request to an HTTPS server",         // Go net/http
		"This combination of host and port requires TLS",         // Go net/http, older
		"plain HTTP request was sent to HTTPS port",              // others
		"You're speaking plain HTTP to an SSL-enabled server po", // cut pages
	} {
		if bytes.Contains(r.Body, []byte(s)) {
			return true
		}
	}
	return false
}

// Title is the text of an HTML page's <title>, white space collapsed,
// entities decoded, cut to 80 characters; "" when there is none.
func Title(r *Response) string {
	b := r.Body
	lower := bytes.ToLower(b[:min(len(b), 16<<10)])
	i := bytes.Index(lower, []byte("<title"))
	if i < 0 {
		return ""
	}
	j := bytes.IndexByte(lower[i:], '>')
	if j < 0 {
		return ""
	}
	start := i + j + 1
	end := bytes.Index(lower[start:], []byte("</title"))
	if end < 0 {
		return ""
	}
	t := html.UnescapeString(string(b[start : start+min(end, 1024)]))
	return cutRunes(strings.Join(strings.FieldsFunc(strings.ToValidUTF8(t, ""), notPrint), " "), 80)
}

// notPrint splits a title on white space and drops what cannot be shown.
func notPrint(r rune) bool { return !unicode.IsPrint(r) || unicode.IsSpace(r) }

// cutRunes cuts s to at most n bytes, at a character boundary.
func cutRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xc0 == 0x80 {
		n--
	}
	return s[:n]
}

// Package netsvc holds the audit's checks of network services that do
// work for whoever asks: open HTTP and SOCKS proxies, open DNS resolvers,
// NTP servers that amplify, SMTP servers that relay, and cleartext
// logins on mail protocols. Each check asks the service one question a
// client may ask, about the scanned host itself and never a third party,
// and judges the answer with a pure function of the bytes, tested on
// literal bytes and against real daemons in the audit zoo.
package netsvc

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strings"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() {
	audit.Register(httpProxyCheck{})
	audit.Register(socksCheck{})
}

// replyMax bounds one answer read.
const replyMax = 16 << 10

// ownPort is the port of the scanned host that a proxy is asked to reach:
// 80, or 443 when the proxy itself listens on 80 (a proxy asked for
// itself refuses a loop, and says nothing about its openness). Both are
// on every proxy's list of safe ports. Whether something listens there
// does not matter: a proxy that tried to connect is open.
func ownPort(ap netip.AddrPort) netip.AddrPort {
	if ap.Port() == 80 {
		return netip.AddrPortFrom(ap.Addr().Unmap(), 443)
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), 80)
}

// HTTP proxy.

type httpProxyCheck struct{}

func (httpProxyCheck) Info() audit.Info {
	return audit.Info{Name: "http-proxy-open", Services: []string{"http-proxy"}, Proto: portspec.TCP}
}

func (httpProxyCheck) Run(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	c, err := t.Dial(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	dest := ownPort(t.Addr).String()
	url := "http://" + dest + "/"
	req := "GET " + url + " HTTP/1.1\r\nHost: " + dest + "\r\nUser-Agent: ajar-audit\r\nConnection: close\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		return nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(io.LimitReader(c, replyMax)), nil)
	if err != nil {
		// A proxy that closes on a client it does not serve.
		return nil, audit.ErrNotApplicable
	}
	resp.Body.Close()
	return JudgeHTTPProxy(url, resp.StatusCode, resp.Header)
}

// JudgeHTTPProxy judges a proxy's answer to a GET of url, a page on the
// scanned host itself. A proxy that refuses the client says so before it
// connects anywhere: 403 (not allowed), 407 (authentication needed), 400,
// 405 or 501 (not a request it serves). Any other answer means it acted
// for a client it does not know: a page of the origin (confirmed), or a
// gateway error from its attempt to connect (likely: the port may be
// closed, but the proxy tried).
func JudgeHTTPProxy(url string, status int, h http.Header) ([]record.Finding, error) {
	switch {
	case status < 200, status == 400, status == 401, status == 403, status == 405, status == 407, status == 501:
		return nil, audit.ErrNotApplicable
	}
	conf, how := record.Confirmed, "it fetched it"
	if status >= 500 {
		conf, how = record.Likely, "it tried to connect and failed"
	}
	ev := fmt.Sprintf("GET %s through the proxy: HTTP %d (%s)", url, status, how)
	for _, k := range []string{"Server", "Via", "X-Squid-Error"} {
		if v := h.Get(k); v != "" {
			ev += ", " + k + ": " + v
		}
	}
	return []record.Finding{{
		ID: "http-proxy-open", Category: record.OpenProxy, Severity: record.High,
		Title:    "HTTP proxy relays requests for clients it does not know",
		Evidence: audit.Evidence([]byte(ev)),
		Remediation: "allow only your own clients, or require authentication: Squid `http_access allow localnet` then " +
			"`http_access deny all` (with `auth_param` and `http_access allow authenticated` for logins); tinyproxy " +
			"`Allow 127.0.0.1` (or your network) and `BasicAuth user password`; Privoxy `permit-access 127.0.0.1`",
		References: []string{"CWE-441", "https://wiki.squid-cache.org/SquidFaq/SecurityPitfalls"},
		Confidence: conf,
	}}, nil
}

// SOCKS.

type socksCheck struct{}

func (socksCheck) Info() audit.Info {
	return audit.Info{Name: "socks-open", Services: []string{"socks5", "socks4"}, Proto: portspec.TCP}
}

func (socksCheck) Run(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	c, err := t.Dial(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	dest := ownPort(t.Addr)
	if t.Service.Name == "socks4" {
		if !dest.Addr().Is4() {
			return nil, audit.ErrNotApplicable
		}
		b, err := audit.Exchange(c, Connect4(dest), untilLen(8), 8)
		if err != nil {
			return nil, audit.ErrNotApplicable
		}
		return JudgeSocks4(dest, b)
	}
	b, err := audit.Exchange(c, []byte{0x05, 0x01, 0x00}, untilLen(2), 2)
	if err != nil || b[0] != 0x05 || b[1] != 0x00 {
		// No reply, or a method other than "no authentication".
		return nil, audit.ErrNotApplicable
	}
	b, err = audit.Exchange(c, Connect5(dest), untilLen(4), 4)
	if err != nil {
		return nil, audit.ErrNotApplicable
	}
	return JudgeSocks5(dest, b)
}

func untilLen(n int) func([]byte) bool { return func(b []byte) bool { return len(b) >= n } }

// Connect5 is a SOCKS5 CONNECT (RFC 1928 section 4) to dest.
func Connect5(dest netip.AddrPort) []byte {
	b := []byte{0x05, 0x01, 0x00, 0x01}
	if dest.Addr().Is6() {
		b[3] = 0x04
	}
	b = append(b, dest.Addr().AsSlice()...)
	return binary.BigEndian.AppendUint16(b, dest.Port())
}

// Connect4 is a SOCKS4 CONNECT to an IPv4 dest.
func Connect4(dest netip.AddrPort) []byte {
	b := binary.BigEndian.AppendUint16([]byte{0x04, 0x01}, dest.Port())
	b = append(b, dest.Addr().AsSlice()...)
	return append(b, "ajar\x00"...)
}

// socks5Replies are RFC 1928's reply codes that mean the server tried
// the connection: 0 (it succeeded) and the network's own failures.
var socks5Replies = map[byte]string{
	0x00: "succeeded", 0x03: "network unreachable", 0x04: "host unreachable",
	0x05: "connection refused", 0x06: "TTL expired",
}

// JudgeSocks5 judges the first four bytes of a SOCKS5 server's reply to
// a CONNECT to dest, asked without authentication: success, or a
// failure of the network, means it connects for anyone. "Not allowed by
// ruleset" (0x02) and a general failure (0x01) are not applicable.
func JudgeSocks5(dest netip.AddrPort, b []byte) ([]record.Finding, error) {
	if len(b) < 2 || b[0] != 0x05 {
		return nil, audit.ErrNotApplicable
	}
	what, ok := socks5Replies[b[1]]
	if !ok {
		return nil, audit.ErrNotApplicable
	}
	return socksFinding(fmt.Sprintf("SOCKS5 with no authentication, CONNECT %s: reply %d (%s)", dest, b[1], what), b[1] == 0), nil
}

// JudgeSocks4 judges a SOCKS4 server's reply to a CONNECT to dest:
// request granted (0x5a).
func JudgeSocks4(dest netip.AddrPort, b []byte) ([]record.Finding, error) {
	if len(b) < 2 || b[0] != 0x00 || b[1] != 0x5a {
		return nil, audit.ErrNotApplicable
	}
	return socksFinding(fmt.Sprintf("SOCKS4 CONNECT %s: request granted (0x5a)", dest), true), nil
}

func socksFinding(ev string, connected bool) []record.Finding {
	conf := record.Confirmed
	if !connected {
		ev += ": the proxy tried"
		conf = record.Likely
	}
	return []record.Finding{{
		ID: "socks-open", Category: record.OpenProxy, Severity: record.High,
		Title:    "SOCKS proxy connects anywhere for clients that give no credentials",
		Evidence: audit.Evidence([]byte(strings.TrimSpace(ev))),
		Remediation: "require authentication and allow only your own clients: Dante `socksmethod: username` " +
			"(or gssapi) and `client pass { from: <your network> to: 0.0.0.0/0 }`; disable SOCKS4, which has no authentication",
		References: []string{"CWE-441", "https://www.inet.no/dante/doc/1.4.x/config/auth.html"},
		Confidence: conf,
	}}
}

package netsvc

import (
	"errors"
	"net/http"
	"net/netip"
	"testing"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/record"
)

// judged is a judgement in short: "id/severity confidence", or "n/a".
func judged(fs []record.Finding, err error) string {
	if errors.Is(err, audit.ErrNotApplicable) {
		return "n/a"
	}
	if err != nil {
		return "error: " + err.Error()
	}
	if len(fs) != 1 {
		return "findings: " + string(rune('0'+len(fs)))
	}
	f := fs[0]
	if f.Remediation == "" || f.Evidence == "" || len(f.References) == 0 || !f.Category.Valid() {
		return "incomplete: " + f.ID
	}
	return f.ID + "/" + f.Severity.String() + " " + string(f.Confidence)
}

func TestOwnPort(t *testing.T) {
	for in, want := range map[string]string{
		"10.0.0.1:8888":       "10.0.0.1:80",
		"10.0.0.1:80":         "10.0.0.1:443",
		"[::ffff:10.0.0.1]:1": "10.0.0.1:80",
		"[fd00::1]:3128":      "[fd00::1]:80",
	} {
		if got := ownPort(netip.MustParseAddrPort(in)).String(); got != want {
			t.Errorf("ownPort(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestJudgeHTTPProxy(t *testing.T) {
	const url = "http://10.0.0.1:80/"
	via := http.Header{"Via": {"1.1 zoo (tinyproxy/1.11.1)"}, "Server": {"Apache/2.4.71 (Debian)"}}
	for _, tc := range []struct {
		status int
		h      http.Header
		want   string
	}{
		// tinyproxy 1.11.1 open: the origin's page, with its Via.
		{200, via, "http-proxy-open/high confirmed"},
		{404, via, "http-proxy-open/high confirmed"},
		// tinyproxy: "500 Unable to connect"; Squid: 503 ERR_CONNECT_FAIL.
		{500, http.Header{"Server": {"tinyproxy/1.11.1"}}, "http-proxy-open/high likely"},
		{503, http.Header{"X-Squid-Error": {"ERR_CONNECT_FAIL 111"}}, "http-proxy-open/high likely"},
		// tinyproxy with Allow: "403 Access denied"; Squid's ACLs: 403
		// ERR_ACCESS_DENIED; proxy authentication.
		{403, http.Header{"Server": {"tinyproxy/1.11.1"}}, "n/a"},
		{407, http.Header{"Proxy-Authenticate": {"Basic realm=x"}}, "n/a"},
		{400, nil, "n/a"},
		{405, nil, "n/a"},
		{501, nil, "n/a"},
		{101, nil, "n/a"},
	} {
		if got := judged(JudgeHTTPProxy(url, tc.status, tc.h)); got != tc.want {
			t.Errorf("JudgeHTTPProxy(%d, %v) = %s, want %s", tc.status, tc.h, got, tc.want)
		}
	}
}

func TestSocks(t *testing.T) {
	dest := netip.MustParseAddrPort("10.0.0.1:80")
	if got, want := string(Connect5(dest)), "\x05\x01\x00\x01\x0a\x00\x00\x01\x00\x50"; got != want {
		t.Errorf("Connect5 = %q, want %q", got, want)
	}
	if got, want := string(Connect5(netip.MustParseAddrPort("[::1]:443")))[:4], "\x05\x01\x00\x04"; got != want {
		t.Errorf("Connect5 v6 = %q", got)
	}
	if got, want := string(Connect4(dest)), "\x04\x01\x00\x50\x0a\x00\x00\x01ajar\x00"; got != want {
		t.Errorf("Connect4 = %q, want %q", got, want)
	}
	for in, want := range map[string]string{
		// Dante 1.4.2: succeeded, and connection refused.
		"\x05\x00\x00\x01": "socks-open/high confirmed",
		"\x05\x05\x00\x01": "socks-open/high likely",
		// Not allowed by ruleset, general failure, not SOCKS5.
		"\x05\x02\x00\x01": "n/a",
		"\x05\x01\x00\x01": "n/a",
		"\x04\x00\x00\x01": "n/a",
		"\x05":             "n/a",
	} {
		if got := judged(JudgeSocks5(dest, []byte(in))); got != want {
			t.Errorf("JudgeSocks5(%q) = %s, want %s", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"\x00\x5a\x00\x50\x0a\x00\x00\x01": "socks-open/high confirmed",
		"\x00\x5b\x00\x00\x00\x00\x00\x00": "n/a",
		"\x05\x00":                         "n/a",
	} {
		if got := judged(JudgeSocks4(dest, []byte(in))); got != want {
			t.Errorf("JudgeSocks4(%q) = %s, want %s", in, got, want)
		}
	}
}

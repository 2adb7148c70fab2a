package nntp

import (
	"crypto/tls"
	"net"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/fingerprint/internal/banner"
	"github.com/ajarsec/ajar/record"
)

// What INN 2.7 says: nnrpd's greeting and capabilities.
const (
	inn     = "200 news.example.com InterNetNews NNRP server INN 2.7.1 ready (posting ok)\r\n"
	innCaps = "101 Capability list:\r\nVERSION 2\r\nIMPLEMENTATION INN 2.7.1\r\nAUTHINFO USER\r\nHDR\r\n" +
		"LIST ACTIVE ACTIVE.TIMES COUNTS DISTRIB.PATS DISTRIBUTIONS HEADERS MODERATORS MOTD NEWSGROUPS OVERVIEW.FMT SUBSCRIPTIONS\r\n" +
		"NEWNEWS\r\nOVER\r\nPOST\r\nREADER\r\nSTARTTLS\r\nXPAT\r\n.\r\n"
)

// others are what servers of other protocols say first.
var others = []string{
	"",
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\n\r\n",
	"\x15\x03\x03\x00\x02\x02\x46",
	"220 (vsFTPd 3.0.3)\r\n",
	"220 vm ESMTP Exim 4.96 Sat, 21 Nov 2026 20:57:13 +0000\r\n",
	"+OK Dovecot (Debian) ready.\r\n",
	"* OK Dovecot (Debian) ready.\r\n",
	"RFB 003.008\n",
	"@RSYNCD: 31.0 sha512 sha256 sha1 md5 md4\n",
	"\xff\xfb\x25\xff\xfb\x26\xff\xfd\x18\xff\xfd\x20",
	"d\x00\x00\x00\n5.5.5-10.11.19-MariaDB-0+deb12u1\x00",
	"400 Service temporarily unavailable\r\n",
	"200-multi\r\n",
	"200 no newline",
	"200\x01\r\n",
}

func TestParse(t *testing.T) {
	innCPE := []string{"cpe:2.3:a:isc:inn:2.7.1:*:*:*:*:*:*:*"}
	tests := []struct {
		in   string
		want *record.Service
	}{
		{inn, &record.Service{Name: "nntp", Product: "INN", Version: "2.7.1", ExtraInfo: "posting ok", Confidence: 8, CPE: innCPE}},
		{"200 news.example.com InterNetNews server INN 2.7.1 ready (transit mode)\r\n",
			&record.Service{Name: "nntp", Product: "INN", Version: "2.7.1", ExtraInfo: "posting ok", Confidence: 8, CPE: innCPE}},
		{"201 news.example.com InterNetNews NNRP server INN 2.6.4 ready (no posting)\r\n",
			&record.Service{Name: "nntp", Product: "INN", Version: "2.6.4", ExtraInfo: "no posting", Confidence: 8,
				CPE: []string{"cpe:2.3:a:isc:inn:2.6.4:*:*:*:*:*:*:*"}}},
		{"200 Leafnode NNTP Daemon, version 1.11.12 running at news.example.org (my fqdn: news.example.org)\r\n",
			&record.Service{Name: "nntp", Product: "Leafnode", Version: "1.11.12", ExtraInfo: "posting ok", Confidence: 8}},
		{"200 Welcome\r\n", &record.Service{Name: "nntp", ExtraInfo: "posting ok", Confidence: 6}},
		{"502 news.example.com: access denied, NNTP service not available to you\r\n",
			&record.Service{Name: "nntp", ExtraInfo: "refusing: news.example.com: access denied, NNTP service not available to you", Confidence: 8}},
	}
	for _, tt := range tests {
		got, err := Parse([]byte(tt.in))
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
	fptest.NoMatch(t, "Parse", Parse, others...)
}

func TestParseCapabilities(t *testing.T) {
	got, err := ParseCapabilities([]byte(innCaps))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 11 || got[1] != "IMPLEMENTATION INN 2.7.1" || !banner.HasCap(got, "STARTTLS") {
		t.Errorf("capabilities %q", got)
	}
	for _, in := range append(others, "500 What?\r\n", "101 list\r\nVERSION 2\r\n") {
		if got, err := ParseCapabilities([]byte(in)); err == nil {
			t.Errorf("ParseCapabilities(%q) = %v", in, got)
		}
	}
	svc := &record.Service{Name: "nntp"}
	fromCapabilities(svc, []string{"VERSION 2", "IMPLEMENTATION INN 2.7.1"})
	if svc.Product != "INN" || svc.Version != "2.7.1" {
		t.Errorf("fromCapabilities: %+v", svc)
	}
	svc = &record.Service{Name: "nntp"}
	fromCapabilities(svc, []string{"IMPLEMENTATION NewsServer 3"})
	if svc.Product != "" || svc.ExtraInfo != "NewsServer 3" {
		t.Errorf("fromCapabilities: %+v", svc)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range append(others, inn, innCaps, "200 x\r\n") {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
		if caps, err := ParseCapabilities(b); err != nil && caps != nil {
			t.Fatalf("ParseCapabilities: %v with error %v", caps, err)
		}
	})
}

// server plays an NNTP server: it greets, then answers each command from
// replies ("500 What?" when missing); after the answer to STARTTLS it
// runs a TLS handshake when conf is set.
func server(greeting string, replies map[string]string, conf *tls.Config) func(net.Conn) {
	return fptest.Lines{Greeting: []string{greeting}, Replies: replies, Unknown: "500 What?\r\n",
		StartTLS: "STARTTLS", TLS: conf}.Handle
}

func TestIdentifyLive(t *testing.T) {
	addr := fptest.Serve(t, server(inn, map[string]string{"CAPABILITIES": innCaps,
		"STARTTLS": "382 Begin TLS negotiation now\r\n"}, fptest.TLSConfig(t, "news.test")))
	svc := fptest.MustMatch(t, plugin{}, addr)
	if svc.Product != "INN" || svc.Version != "2.7.1" || svc.Confidence != 10 {
		t.Errorf("INN: got %+v", svc)
	}
	if svc.TLS == nil || svc.TLS.StartTLS != "STARTTLS" || svc.TLS.Cert == nil || svc.TLS.Cert.Subject != "CN=news.test" {
		t.Errorf("INN: TLS %+v", svc.TLS)
	}
	// A bare greeting, and a server from before CAPABILITIES.
	addr = fptest.Serve(t, server("200 server ready\r\n", map[string]string{"HELP": oldHelp}, nil))
	if svc = fptest.MustMatch(t, plugin{}, addr); svc.Confidence != 7 || svc.TLS != nil {
		t.Errorf("old server: got %+v", svc)
	}
}

// oldHelp is an answer to HELP of a server from before RFC 3977.
const oldHelp = "100 Legal commands\r\n  article [MessageID|Number]\r\n  body [MessageID|Number]\r\n  group newsgroup\r\n.\r\n"

func TestIsHelp(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{oldHelp, true},
		{"100 Help text follows\r\n.\r\n", true},
		{"100 Help text follows\r\n  article\r\n", false},
		{"214-The following commands are recognized\r\n214 Help OK\r\n", false},
		{"500 What?\r\n", false},
		{"+OK\r\n.\r\n", false},
	} {
		if got := IsHelp([]byte(tt.in)); got != tt.want {
			t.Errorf("IsHelp(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestIdentifyLiveNoMatch(t *testing.T) {
	// A "200" greeting that refuses CAPABILITIES and HELP: not shown to
	// be NNTP.
	addr0 := fptest.Serve(t, server("200 server ready\r\n", nil, nil))
	fptest.MustNotMatch(t, plugin{}, addr0)
	// A "200" greeting that answers nothing like NNTP.
	addr := fptest.Serve(t, fptest.Reply([]byte("200 OK\r\n"), 0))
	fptest.MustNotMatch(t, plugin{}, addr)
	for _, greeting := range []string{others[1], others[4], others[6]} {
		addr := fptest.Serve(t, fptest.Reply([]byte(greeting), 0))
		fptest.MustNotMatch(t, plugin{}, addr)
	}
	silent := fptest.HangUp(t)
	fptest.MustNotMatch(t, plugin{}, silent)
}

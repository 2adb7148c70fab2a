package imap

import (
	"crypto/tls"
	"net"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/record"
)

// What Dovecot 2.3.19 on Debian 12 says.
const (
	dovecot     = "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN] Dovecot (Debian) ready.\r\n"
	dovecotCaps = "* CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN\r\n" +
		"a1 OK Pre-login capabilities listed, post-login capabilities have more.\r\n"
	dovecotID = "* ID (\"name\" \"Dovecot\")\r\na2 OK ID completed.\r\n"
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
	"200 news.example.com InterNetNews NNRP server INN 2.7.1 ready (posting ok)\r\n",
	"RFB 003.008\n",
	"@RSYNCD: 31.0 sha512 sha256 sha1 md5 md4\n",
	"\xff\xfb\x25\xff\xfb\x26\xff\xfd\x18\xff\xfd\x20",
	"d\x00\x00\x00\n5.5.5-10.11.19-MariaDB-0+deb12u1\x00",
	"* OK no newline",
	"* NO go away\r\n",
	"* OK [CAPABILITY IMAP4rev1 unclosed\r\n",
	"* OK \x01\x02\r\n",
}

func TestParse(t *testing.T) {
	dovecotCPE := []string{"cpe:2.3:a:dovecot:dovecot:*:*:*:*:*:*:*:*"}
	tests := []struct {
		in   string
		want *record.Service
	}{
		{dovecot, &record.Service{Name: "imap", Product: "Dovecot imapd", Confidence: 8, CPE: dovecotCPE}},
		{"* OK [CAPABILITY IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT THREAD=REFERENCES SORT QUOTA IDLE ACL ACL2=UNION STARTTLS] Courier-IMAP ready. Copyright 1998-2018 Double Precision, Inc.  See COPYING for distribution information.\r\n",
			&record.Service{Name: "imap", Product: "Courier Imapd", Confidence: 8}},
		{"* OK mail.example.org Cyrus IMAP v2.4.17-Debian-2.4.17+caldav~beta9-3 server ready\r\n",
			&record.Service{Name: "imap", Product: "Cyrus imapd", Version: "2.4.17", Confidence: 8}},
		{"* OK [CAPABILITY IMAP4REV1 I18NLEVEL=1 LITERAL+ SASL-IR LOGIN-REFERRALS STARTTLS AUTH=LOGIN] localhost IMAP4rev1 2007f.404 at Sat, 21 Nov 2026 21:00:00 +0000 (UTC)\r\n",
			&record.Service{Name: "imap", Product: "UW imapd", Version: "2007f.404", Confidence: 8}},
		{"* OK The Microsoft Exchange IMAP4 service is ready.\r\n", &record.Service{Name: "imap", Product: "Microsoft Exchange imapd", Confidence: 8}},
		{"* PREAUTH IMAP4rev1 server logged in as alice\r\n", &record.Service{Name: "imap", ExtraInfo: "preauthenticated", Confidence: 8}},
		{"* BYE Too many connections\r\n", &record.Service{Name: "imap", ExtraInfo: "refusing: Too many connections", Confidence: 8}},
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

func TestParseCapability(t *testing.T) {
	got, err := ParseCapability([]byte(dovecotCaps))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Fields("IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("capabilities (-want +got):\n%s", diff)
	}
	for _, in := range append(others, "a1 BAD unknown command\r\n", "* CAPABILITY IMAP4rev1\r\n") {
		if got, err := ParseCapability([]byte(in)); err == nil {
			t.Errorf("ParseCapability(%q) = %v", in, got)
		}
	}
}

func TestParseID(t *testing.T) {
	tests := []struct {
		in   string
		want map[string]string
	}{
		{dovecotID, map[string]string{"name": "Dovecot"}},
		{"* ID NIL\r\na2 OK\r\n", map[string]string{}},
		{`* ID ("name" "Cyrus IMAPD" "version" "v3.6.1-Debian-3.6.1-4" "vendor" "Project Cyrus" "os" NIL "support-url" "https://www.cyrusimap.org")` + "\r\n",
			map[string]string{"name": "Cyrus IMAPD", "version": "v3.6.1-Debian-3.6.1-4", "vendor": "Project Cyrus", "support-url": "https://www.cyrusimap.org"}},
		{`* ID ("name" "a \"quoted\" name")` + "\r\n", map[string]string{"name": `a "quoted" name`}},
	}
	for _, tt := range tests {
		got, err := ParseID([]byte(tt.in))
		if err != nil {
			t.Errorf("ParseID(%q): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseID(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
	for _, in := range append(others, `* ID ("name")`, `* ID ("name" "x"`, `* ID ("name" "x`, `* ID {5}`, "a2 BAD\r\n") {
		if got, err := ParseID([]byte(in)); err == nil {
			t.Errorf("ParseID(%q) = %v", in, got)
		}
	}
	svc := &record.Service{Name: "imap"}
	fromID(svc, map[string]string{"name": "Cyrus IMAPD", "version": "v3.6.1-Debian-3.6.1-4"})
	if svc.Product != "Cyrus imapd" || svc.Version != "3.6.1" {
		t.Errorf("fromID: %+v", svc)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range append(others, dovecot, dovecotCaps, dovecotID, `* ID ("a" NIL "b" "c\"d")`) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
		if caps, err := ParseCapability(b); err != nil && caps != nil {
			t.Fatalf("ParseCapability: %v with error %v", caps, err)
		}
		if id, err := ParseID(b); err != nil && id != nil {
			t.Fatalf("ParseID: %v with error %v", id, err)
		}
	})
}

// server plays an IMAP server: it greets, then answers each tagged
// command from replies, where TAG stands for the command's tag (BAD
// when missing); after the answer to STARTTLS it runs a TLS handshake
// when conf is set.
func server(greeting string, replies map[string]string, conf *tls.Config) func(net.Conn) {
	return fptest.Lines{Greeting: []string{greeting}, Replies: replies, Tagged: true,
		Unknown: "TAG BAD Error in IMAP command received by server.\r\n", StartTLS: "STARTTLS", TLS: conf}.Handle
}

func TestIdentifyLive(t *testing.T) {
	conf := fptest.TLSConfig(t, "imap.test")
	addr := fptest.Serve(t, server(dovecot, map[string]string{
		"ID NIL":   "* ID (\"name\" \"Dovecot\" \"version\" \"2.3.19.1\")\r\nTAG OK ID completed.\r\n",
		"STARTTLS": "TAG OK Begin TLS negotiation now.\r\n",
	}, conf))
	svc := fptest.MustMatch(t, plugin{}, addr)
	if svc.Product != "Dovecot imapd" || svc.Version != "2.3.19.1" || svc.Confidence != 10 ||
		svc.CPE[0] != "cpe:2.3:a:dovecot:dovecot:2.3.19.1:*:*:*:*:*:*:*" {
		t.Errorf("dovecot: got %+v", svc)
	}
	if svc.TLS == nil || svc.TLS.StartTLS != "STARTTLS" || svc.TLS.Cert == nil || svc.TLS.Cert.Subject != "CN=imap.test" {
		t.Errorf("dovecot: TLS %+v", svc.TLS)
	}

	// No capabilities in the greeting: asked for; no STARTTLS.
	addr = fptest.Serve(t, server("* OK IMAP4 ready\r\n", map[string]string{
		"CAPABILITY": "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\nTAG OK done\r\n",
	}, nil))
	if svc = fptest.MustMatch(t, plugin{}, addr); svc.Confidence != 10 || svc.TLS != nil || svc.Product != "" {
		t.Errorf("plain: got %+v", svc)
	}

	// STARTTLS offered but refused.
	addr = fptest.Serve(t, server(dovecot, nil, nil))
	if svc = fptest.MustMatch(t, plugin{}, addr); svc.Product != "Dovecot imapd" || svc.ExtraInfo != "STARTTLS failed" {
		t.Errorf("refused STARTTLS: got %+v", svc)
	}
}

func TestIdentifyLiveNoMatch(t *testing.T) {
	// A bare "* OK" greeting, then silence or answers that are not
	// IMAP's: a shape only.
	for _, unknown := range []string{"", "TAG OK\r\n", "* CAPABILITY FOO\r\nTAG OK\r\n"} {
		other := fptest.Lines{Greeting: []string{"* OK ready\r\n"}, Tagged: true, Unknown: unknown}
		fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, other.Handle))
	}
	for _, greeting := range []string{others[1], others[5], others[6]} {
		addr := fptest.Serve(t, fptest.Reply([]byte(greeting), 0))
		fptest.MustNotMatch(t, plugin{}, addr)
	}
	silent := fptest.HangUp(t)
	fptest.MustNotMatch(t, plugin{}, silent)
}

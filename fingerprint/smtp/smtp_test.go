package smtp

import (
	"crypto/tls"
	"net"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/record"
)

// What exim4 4.96 on Debian 12 says, greeting and EHLO.
const (
	exim     = "220 vm ESMTP Exim 4.96 Sat, 21 Nov 2026 20:57:13 +0000\r\n"
	eximEHLO = "250-vm Hello ajar.invalid [127.0.0.1]\r\n250-SIZE 52428800\r\n250-8BITMIME\r\n250-PIPELINING\r\n" +
		"250-PIPECONNECT\r\n250-CHUNKING\r\n250-STARTTLS\r\n250-PRDR\r\n250 HELP\r\n"
	postfix     = "220 mail.example.com ESMTP Postfix (Debian/GNU)\r\n"
	postfixEHLO = "250-mail.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n250-ETRN\r\n" +
		"250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n"
)

// others are what servers of other protocols say first.
var others = []string{
	"",
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\n\r\n",
	"\x15\x03\x03\x00\x02\x02\x46",
	"220 (vsFTPd 3.0.3)\r\n",
	"220 ProFTPD Server (Debian) [::ffff:127.0.0.1]\r\n",
	"220-FileZilla Server 0.9.60 beta\r\n220 Please visit https://filezilla-project.org/\r\n",
	"+OK Dovecot (Debian) ready.\r\n",
	"* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN] Dovecot (Debian) ready.\r\n",
	"200 news.example.com InterNetNews NNRP server INN 2.7.1 ready (posting ok)\r\n",
	"RFB 003.008\n",
	"@RSYNCD: 31.0 sha512 sha256 sha1 md5 md4\n",
	"\xff\xfb\x25\xff\xfb\x26\xff\xfd\x18\xff\xfd\x20",
	"d\x00\x00\x00\n5.5.5-10.11.19-MariaDB-0+deb12u1\x00",
	"220\x01binary\r\n",
	"421 Service not available\r\n",
}

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want *record.Service
	}{
		{exim, &record.Service{Name: "smtp", Product: "Exim smtpd", Version: "4.96", Confidence: 8,
			CPE: []string{"cpe:2.3:a:exim:exim:4.96:*:*:*:*:*:*:*"}}},
		{postfix, &record.Service{Name: "smtp", Product: "Postfix smtpd", Confidence: 8,
			CPE: []string{"cpe:2.3:a:postfix:postfix:*:*:*:*:*:*:*:*"}}},
		{"220 mx.example.org ESMTP Sendmail 8.17.1.9/8.17.1.9/Debian-2+deb12u2; Sat, 21 Nov 2026 21:00:00 GMT; (No UCE/UBE) logging access from: localhost(OK)-localhost [127.0.0.1]\r\n",
			&record.Service{Name: "smtp", Product: "Sendmail", Version: "8.17.1.9", Confidence: 8,
				CPE: []string{"cpe:2.3:a:sendmail:sendmail:8.17.1.9:*:*:*:*:*:*:*"}}},
		{"220 mail.example.org ESMTP OpenSMTPD\r\n", &record.Service{Name: "smtp", Product: "OpenSMTPD", Confidence: 8,
			CPE: []string{"cpe:2.3:a:openbsd:opensmtpd:*:*:*:*:*:*:*:*"}}},
		{"220 EX01.corp.example Microsoft ESMTP MAIL Service ready at Sat, 21 Nov 2026 21:00:00 +0000\r\n",
			&record.Service{Name: "smtp", Product: "Microsoft ESMTP", Confidence: 8}},
		{"220-mail.example.org ESMTP\r\n220-No UCE\r\n220 ready\r\n", &record.Service{Name: "smtp", Confidence: 8}},
		{"220 Welcome\r\n", &record.Service{Name: "smtp", Confidence: 5}},
		{"554 mail.example.org ESMTP not accepting messages\r\n", &record.Service{Name: "smtp", Confidence: 8,
			ExtraInfo: "refusing: mail.example.org ESMTP not accepting messages"}},
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

func TestParseEHLO(t *testing.T) {
	got, err := ParseEHLO([]byte(eximEHLO))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"SIZE 52428800", "8BITMIME", "PIPELINING", "PIPECONNECT", "CHUNKING", "STARTTLS", "PRDR", "HELP"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("extensions (-want +got):\n%s", diff)
	}
	for _, in := range append(others, "530 Please login with USER and PASS.\r\n", "250-x\r\n250-y\r\n") {
		if got, err := ParseEHLO([]byte(in)); err == nil {
			t.Errorf("ParseEHLO(%q) = %v", in, got)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range append(others, exim, eximEHLO, postfix, postfixEHLO, "220-a\r\n220 b\r\n") {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
		ext, err := ParseEHLO(b)
		if err != nil && ext != nil {
			t.Fatalf("ParseEHLO: %v with error %v", ext, err)
		}
	})
}

// server plays a line server: it greets, then answers each command by
// its first word from replies (unknown gets def); after the answer to
// STARTTLS it runs a TLS handshake when conf is set.
func server(greeting, def string, replies map[string]string, conf *tls.Config) func(net.Conn) {
	return fptest.Lines{Greeting: []string{greeting}, Replies: replies, Unknown: def,
		Key: verb, StartTLS: "STARTTLS", TLS: conf}.Handle
}

// verb is a command's first word, upper case.
func verb(cmd string) string {
	v, _, _ := strings.Cut(cmd, " ")
	return strings.ToUpper(v)
}

func TestIdentifyLive(t *testing.T) {
	conf := fptest.TLSConfig(t, "mail.test")
	addr := fptest.Serve(t, server(exim, "500 unrecognized command\r\n",
		map[string]string{"EHLO": eximEHLO, "STARTTLS": "220 TLS go ahead\r\n"}, conf))
	svc := fptest.MustMatch(t, plugin{}, addr)
	if svc.Product != "Exim smtpd" || svc.Version != "4.96" || svc.Confidence != 10 {
		t.Errorf("exim: got %+v", svc)
	}
	if svc.TLS == nil || svc.TLS.StartTLS != "STARTTLS" || svc.TLS.Cert == nil || svc.TLS.Cert.Subject != "CN=mail.test" {
		t.Errorf("exim: TLS %+v", svc.TLS)
	}

	// No STARTTLS offered: none tried.
	addr = fptest.Serve(t, server(postfix, "502 5.5.2 Error: command not recognized\r\n",
		map[string]string{"EHLO": postfixEHLO}, nil))
	if svc = fptest.MustMatch(t, plugin{}, addr); svc.Product != "Postfix smtpd" || svc.TLS != nil || svc.Confidence != 10 {
		t.Errorf("postfix: got %+v", svc)
	}

	// A bare greeting and no EHLO, but HELO.
	addr = fptest.Serve(t, server("220 Welcome\r\n", "500 what?\r\n", map[string]string{"HELO": "250 hi\r\n"}, nil))
	if svc = fptest.MustMatch(t, plugin{}, addr); svc.Confidence != 8 {
		t.Errorf("HELO only: got %+v", svc)
	}

	// STARTTLS offered, the handshake fails: still SMTP.
	addr = fptest.Serve(t, server(exim, "500 unrecognized command\r\n",
		map[string]string{"EHLO": eximEHLO, "STARTTLS": "454 TLS currently unavailable\r\n"}, nil))
	if svc = fptest.MustMatch(t, plugin{}, addr); svc.Product != "Exim smtpd" || svc.TLS != nil || svc.ExtraInfo != "STARTTLS failed" {
		t.Errorf("failed STARTTLS: got %+v", svc)
	}
}

func TestIdentifyLiveNoMatch(t *testing.T) {
	// An FTP server with a greeting that names nothing: vsftpd's
	// answers before login.
	ftp := fptest.Serve(t, server("220 Welcome\r\n", "530 Please login with USER and PASS.\r\n", nil, nil))
	fptest.MustNotMatch(t, plugin{}, ftp)
	vsftpd := fptest.Serve(t, fptest.Reply([]byte(others[4]), 0))
	fptest.MustNotMatch(t, plugin{}, vsftpd)
	pop := fptest.Serve(t, fptest.Reply([]byte(others[7]), 0))
	fptest.MustNotMatch(t, plugin{}, pop)
	silent := fptest.HangUp(t)
	fptest.MustNotMatch(t, plugin{}, silent)
}

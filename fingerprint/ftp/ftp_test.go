package ftp

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/fingerprint/internal/reply"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

// Greetings of real servers.
const (
	vsftpd   = "220 (vsFTPd 3.0.3)\r\n"
	proftpd  = "220 ProFTPD Server (Debian) [::ffff:127.0.0.1]\r\n"
	pureftpd = "220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------\r\n" +
		"220-You are user number 1 of 50 allowed.\r\n" +
		"220-Local time is now 21:00. Server port: 21.\r\n" +
		"220-This is a private system - No anonymous login\r\n" +
		"220 You will be disconnected after 15 minutes of inactivity.\r\n"
	// vsftpd 3.0.3's FEAT with ssl_enable=YES.
	vsftpdFeat = "211-Features:\r\n AUTH TLS\r\n EPRT\r\n EPSV\r\n MDTM\r\n PASV\r\n PBSZ\r\n PROT\r\n REST STREAM\r\n SIZE\r\n TVFS\r\n211 End\r\n"
)

// others are what servers of other protocols say first.
var others = []string{
	"",
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\n\r\n",
	"\x15\x03\x03\x00\x02\x02\x46",
	"220 vm ESMTP Exim 4.96 Sat, 21 Nov 2026 20:57:13 +0000\r\n",
	"220 mail.example.com ESMTP Postfix (Debian/GNU)\r\n",
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
		{vsftpd, &record.Service{Name: "ftp", Product: "vsftpd", Version: "3.0.3", Confidence: 8,
			CPE: []string{"cpe:2.3:a:beasts:vsftpd:3.0.3:*:*:*:*:*:*:*"}}},
		{proftpd, &record.Service{Name: "ftp", Product: "ProFTPD", Confidence: 8,
			CPE: []string{"cpe:2.3:a:proftpd:proftpd:*:*:*:*:*:*:*:*"}}},
		{"220 ProFTPD 1.3.5e Server (Debian) [::ffff:10.0.0.1]\r\n", &record.Service{Name: "ftp", Product: "ProFTPD",
			Version: "1.3.5e", Confidence: 8, CPE: []string{"cpe:2.3:a:proftpd:proftpd:1.3.5e:*:*:*:*:*:*:*"}}},
		{pureftpd, &record.Service{Name: "ftp", Product: "Pure-FTPd", Confidence: 8,
			CPE: []string{"cpe:2.3:a:pureftpd:pure-ftpd:*:*:*:*:*:*:*:*"}}},
		{"220-FileZilla Server 0.9.60 beta\r\n220-written by Tim Kosse (tim.kosse@filezilla-project.org)\r\n220 Please visit https://filezilla-project.org/\r\n",
			&record.Service{Name: "ftp", Product: "FileZilla ftpd", Version: "0.9.60", Confidence: 8,
				CPE: []string{"cpe:2.3:a:filezilla-project:filezilla_server:0.9.60:*:*:*:*:*:*:*"}}},
		{"220 Microsoft FTP Service\r\n", &record.Service{Name: "ftp", Product: "Microsoft ftpd", Confidence: 8}},
		{"220 Welcome to the archive\r\n", &record.Service{Name: "ftp", Confidence: 5}},
		{"421 FTP server busy, try later\r\n", &record.Service{Name: "ftp", Confidence: 8,
			ExtraInfo: "refusing: FTP server busy, try later"}},
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

func TestParseIncomplete(t *testing.T) {
	for _, in := range []string{"220", "220-Welcome\r\n", "220-Welcome\r\n220-more\r\n"} {
		if _, err := parseGreeting([]byte(in)); !errors.Is(err, reply.ErrIncomplete) {
			t.Errorf("parseGreeting(%q): %v, want incomplete", in, err)
		}
	}
}

func TestConfirms(t *testing.T) {
	for _, tt := range []struct {
		cmd, answer string
		want        bool
	}{
		{"FEAT", vsftpdFeat, true},
		{"FEAT", "211-Extensions supported:\r\n SIZE\r\n211 END\r\n", true},
		{"SYST", "215 UNIX Type: L8\r\n", true},
		{"USER", "331 Please specify the password.\r\n", true},
		{"USER", "230 Anonymous access granted\r\n", true},
		{"FEAT", "500 5.5.1 Unrecognized command\r\n", false},
		{"FEAT", "502 Command not implemented\r\n", false},
		{"SYST", "500 What?\r\n", false},
		{"SYST", "530 Please login with USER and PASS.\r\n", false},
		{"USER", "500 5.5.2 Syntax error\r\n", false},
		{"USER", "530 This FTP server is anonymous only.\r\n", false},
		{"HELP", "214 Help\r\n", false},
		{"SYST", "215 ESMTP Exim says hello\r\n", false},
	} {
		r, err := reply.Parse([]byte(tt.answer))
		if err != nil {
			t.Fatalf("%q: %v", tt.answer, err)
		}
		if got := Confirms(tt.cmd, r); got != tt.want {
			t.Errorf("Confirms(%s, %q) = %v, want %v", tt.cmd, tt.answer, got, tt.want)
		}
	}
}

func TestParseFeatures(t *testing.T) {
	got, err := ParseFeatures([]byte(vsftpdFeat))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"AUTH TLS", "EPRT", "EPSV", "MDTM", "PASV", "PBSZ", "PROT", "REST STREAM", "SIZE", "TVFS"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("features (-want +got):\n%s", diff)
	}
	if got, err := ParseFeatures([]byte("211 No features\r\n")); err != nil || len(got) != 0 {
		t.Errorf("one-line FEAT: %v, %v", got, err)
	}
	r, _ := reply.Parse([]byte(vsftpdFeat))
	if !HasAuthTLS(r) {
		t.Error("AUTH TLS not seen")
	}
	for _, in := range append(others, "500 Unknown command.\r\n") {
		if got, err := ParseFeatures([]byte(in)); err == nil {
			t.Errorf("ParseFeatures(%q) = %v", in, got)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range append(others, vsftpd, proftpd, pureftpd, vsftpdFeat, "220-a\r\n b\r\n220 c\r\n") {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
		feats, err := ParseFeatures(b)
		if err != nil && feats != nil {
			t.Fatalf("ParseFeatures: %v with error %v", feats, err)
		}
	})
}

// server plays an FTP server: it sends the greeting in parts, then
// answers each command from replies (500 when missing); after the
// answer to AUTH TLS it runs a TLS handshake when conf is set.
func server(replies map[string]string, conf *tls.Config, greeting ...string) func(net.Conn) {
	return fptest.Lines{Greeting: greeting, Replies: replies, Unknown: "500 Unknown command.\r\n",
		StartTLS: "AUTH TLS", TLS: conf}.Handle
}

func TestIdentifyLive(t *testing.T) {
	conf := fptest.TLSConfig(t, "ftp.test", "ftp.test")
	addr := fptest.Serve(t, server(map[string]string{"FEAT": vsftpdFeat, "AUTH TLS": "234 Proceed with negotiation.\r\n"}, conf, vsftpd))
	svc := fptest.MustMatch(t, plugin{}, addr)
	if svc.Product != "vsftpd" || svc.Version != "3.0.3" || svc.Confidence != 10 || svc.Method != "probed" {
		t.Errorf("vsftpd: got %+v", svc)
	}
	if svc.TLS == nil || svc.TLS.StartTLS != "AUTH TLS" || svc.TLS.Cert == nil || svc.TLS.Cert.Subject != "CN=ftp.test" {
		t.Errorf("vsftpd: TLS %+v", svc.TLS)
	}

	// A greeting in two parts, a server without FEAT.
	addr = fptest.Serve(t, server(nil, nil, pureftpd[:63], pureftpd[63:]))
	svc = fptest.MustMatch(t, plugin{}, addr)
	if svc.Product != "Pure-FTPd" || svc.Confidence != 8 || svc.TLS != nil {
		t.Errorf("Pure-FTPd: got %+v", svc)
	}

	// A greeting that names nothing, confirmed by FEAT.
	addr = fptest.Serve(t, server(map[string]string{"FEAT": "211-Features:\r\n UTF8\r\n211 End\r\n"}, nil, "220 Welcome\r\n"))
	if svc = fptest.MustMatch(t, plugin{}, addr); svc.Confidence != 10 {
		t.Errorf("generic with FEAT: got %+v", svc)
	}

	// A greeting that names nothing, no FEAT, confirmed by SYST.
	addr = fptest.Serve(t, server(map[string]string{"SYST": "215 UNIX Type: L8\r\n"}, nil, "220 Welcome\r\n"))
	if svc = fptest.MustMatch(t, plugin{}, addr); svc.Confidence != 7 {
		t.Errorf("generic with SYST: got %+v", svc)
	}

	// AUTH TLS offered, then the handshake fails: still FTP.
	addr = fptest.Serve(t, server(map[string]string{"FEAT": vsftpdFeat, "AUTH TLS": "234 Proceed with negotiation.\r\n"}, nil, vsftpd))
	if svc = fptest.MustMatch(t, plugin{}, addr); svc.Product != "vsftpd" || svc.TLS != nil || svc.ExtraInfo != "AUTH TLS failed" {
		t.Errorf("failed AUTH TLS: got %+v", svc)
	}
}

// TestIdentifyImplicitTLS runs the whole identification against an FTP
// server inside TLS from the first byte: FTP is found inside, and AUTH
// TLS is not tried again though FEAT offers it.
func TestIdentifyImplicitTLS(t *testing.T) {
	conf := fptest.TLSConfig(t, "ftp.test", "ftp.test")
	plain := server(map[string]string{"FEAT": vsftpdFeat}, nil, vsftpd)
	addr := fptest.Serve(t, func(c net.Conn) { plain(tls.Server(c, conf)) })
	cfg := fingerprint.Config{Timeout: 5 * time.Second, ProbeTimeout: 2 * time.Second, BannerWait: 300 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	svc, err := cfg.Identify(ctx, fingerprint.Target{Addr: addr, Proto: portspec.TCP})
	if err != nil {
		t.Fatal(err)
	}
	if svc.Name != "ftp" || svc.Product != "vsftpd" || svc.Tunnel != "ssl" || svc.TLS == nil || svc.TLS.StartTLS != "" {
		t.Errorf("got %+v, TLS %+v", svc, svc.TLS)
	}
}

func TestIdentifyLiveNoMatch(t *testing.T) {
	// A mail server with a greeting that names nothing.
	mail := fptest.Serve(t, server(map[string]string{"FEAT": "500 5.5.1 Command unrecognized: \"FEAT\"\r\n"}, nil, "220 Welcome\r\n"))
	fptest.MustNotMatch(t, plugin{}, mail)
	// Mail and news servers that greet with a bare 220 and refuse every
	// FTP command without an enhanced status code.
	for _, refusal := range []string{"502 Command not implemented\r\n", "500 What?\r\n", "500 syntax error - invalid character\r\n"} {
		other := fptest.Lines{Greeting: []string{"220 ready\r\n"}, Unknown: refusal}
		fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, other.Handle))
	}
	// A 220 greeting, then silence.
	mute := fptest.Serve(t, func(c net.Conn) { c.Write([]byte("220 ready\r\n")); io.Copy(io.Discard, c) })
	fptest.MustNotMatch(t, plugin{}, mute)
	exim := fptest.Serve(t, fptest.Reply([]byte(others[4]), 0))
	fptest.MustNotMatch(t, plugin{}, exim)
	ssh := fptest.Serve(t, fptest.Reply([]byte(others[1]), 0))
	fptest.MustNotMatch(t, plugin{}, ssh)
	silent := fptest.HangUp(t)
	fptest.MustNotMatch(t, plugin{}, silent)
}

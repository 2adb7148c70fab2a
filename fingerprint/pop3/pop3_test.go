package pop3

import (
	"crypto/tls"
	"net"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/record"
)

// What Dovecot 2.3.19 on Debian 12 says: greeting and CAPA.
const (
	dovecot     = "+OK Dovecot (Debian) ready.\r\n"
	dovecotCapa = "+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nAUTH-RESP-CODE\r\nSTLS\r\nUSER\r\nSASL PLAIN\r\n.\r\n"
)

// others are what servers of other protocols say first.
var others = []string{
	"",
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\n\r\n",
	"\x15\x03\x03\x00\x02\x02\x46",
	"220 (vsFTPd 3.0.3)\r\n",
	"220 vm ESMTP Exim 4.96 Sat, 21 Nov 2026 20:57:13 +0000\r\n",
	"* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN] Dovecot (Debian) ready.\r\n",
	"200 news.example.com InterNetNews NNRP server INN 2.7.1 ready (posting ok)\r\n",
	"RFB 003.008\n",
	"@RSYNCD: 31.0 sha512 sha256 sha1 md5 md4\n",
	"\xff\xfb\x25\xff\xfb\x26\xff\xfd\x18\xff\xfd\x20",
	"d\x00\x00\x00\n5.5.5-10.11.19-MariaDB-0+deb12u1\x00",
	"-ERR not now\r\n",
	"+OKAY\r\n",
	"+OK\x00\x01\r\n",
	"+OK no newline",
}

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want *record.Service
	}{
		{dovecot, &record.Service{Name: "pop3", Product: "Dovecot pop3d", Confidence: 8,
			CPE: []string{"cpe:2.3:a:dovecot:dovecot:*:*:*:*:*:*:*:*"}}},
		{"+OK Dovecot ready.\r\n", &record.Service{Name: "pop3", Product: "Dovecot pop3d", Confidence: 8,
			CPE: []string{"cpe:2.3:a:dovecot:dovecot:*:*:*:*:*:*:*:*"}}},
		{"+OK mail.example.org Cyrus POP3 v2.4.17-Debian-2.4.17+caldav~beta9-3 server ready <1896.1@mail.example.org>\r\n",
			&record.Service{Name: "pop3", Product: "Cyrus pop3d", Version: "2.4.17", Confidence: 8}},
		{"+OK Hello there.\r\n", &record.Service{Name: "pop3", Product: "Courier pop3d", Confidence: 8}},
		{"+OK Qpopper (version 4.1.0) at mail.example.org starting.  <1.2@mail.example.org>\r\n",
			&record.Service{Name: "pop3", Product: "Qpopper", Version: "4.1.0", Confidence: 8,
				CPE: []string{"cpe:2.3:a:qualcomm:qpopper:4.1.0:*:*:*:*:*:*:*"}}},
		{"+OK The Microsoft Exchange POP3 service is ready.\r\n", &record.Service{Name: "pop3", Product: "Microsoft Exchange pop3d", Confidence: 8}},
		{"+OK POP3 server ready <1.2@example.org>\r\n", &record.Service{Name: "pop3", Confidence: 8}},
		{"+OK\r\n", &record.Service{Name: "pop3", Confidence: 8}},
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

func TestParseCapa(t *testing.T) {
	got, err := ParseCapa([]byte(dovecotCapa))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"CAPA", "TOP", "UIDL", "RESP-CODES", "PIPELINING", "AUTH-RESP-CODE", "STLS", "USER", "SASL PLAIN"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("capabilities (-want +got):\n%s", diff)
	}
	if got, err := ParseCapa([]byte("+OK\r\n.\r\n")); err != nil || len(got) != 0 {
		t.Errorf("empty CAPA: %v, %v", got, err)
	}
	for _, in := range append(others, "-ERR unknown command\r\n", "+OK\r\nTOP\r\n", dovecot) {
		if got, err := ParseCapa([]byte(in)); err == nil {
			t.Errorf("ParseCapa(%q) = %v", in, got)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range append(others, dovecot, dovecotCapa, "+OK\r\n.\r\n") {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
		caps, err := ParseCapa(b)
		if err != nil && caps != nil {
			t.Fatalf("ParseCapa: %v with error %v", caps, err)
		}
	})
}

// server plays a POP3 server: it greets (in parts, pausing between),
// then answers each command from replies ("-ERR" when missing); after
// the answer to STLS it runs a TLS handshake when conf is set.
func server(replies map[string]string, conf *tls.Config, greeting ...string) func(net.Conn) {
	return fptest.Lines{Greeting: greeting, Replies: replies, Unknown: "-ERR Unknown command.\r\n",
		StartTLS: "STLS", TLS: conf}.Handle
}

func TestIsErr(t *testing.T) {
	for in, want := range map[string]bool{"-ERR\r\n": true, "-ERR unknown command\r\n": true,
		"-ERRx\r\n": false, "-ERR": false, "+OK\r\n": false, "-ERR \x00\r\n": false} {
		if got := IsErr([]byte(in)); got != want {
			t.Errorf("IsErr(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestIdentifyLive(t *testing.T) {
	conf := fptest.TLSConfig(t, "pop.test")
	addr := fptest.Serve(t, server(map[string]string{"CAPA": dovecotCapa, "STLS": "+OK Begin TLS negotiation now.\r\n"}, conf, dovecot))
	svc := fptest.MustMatch(t, plugin{}, addr)
	if svc.Product != "Dovecot pop3d" || svc.Confidence != 10 {
		t.Errorf("dovecot: got %+v", svc)
	}
	if svc.TLS == nil || svc.TLS.StartTLS != "STLS" || svc.TLS.Cert == nil || svc.TLS.Cert.Subject != "CN=pop.test" {
		t.Errorf("dovecot: TLS %+v", svc.TLS)
	}

	// A greeting in two parts; no CAPA.
	addr = fptest.Serve(t, server(nil, nil, "+OK POP3 ser", "ver ready\r\n"))
	if svc = fptest.MustMatch(t, plugin{}, addr); svc.Product != "" || svc.Confidence != 9 || svc.TLS != nil {
		t.Errorf("no CAPA: got %+v", svc)
	}

	// STLS offered, then refused: still POP3.
	addr = fptest.Serve(t, server(map[string]string{"CAPA": dovecotCapa}, nil, dovecot))
	if svc = fptest.MustMatch(t, plugin{}, addr); svc.Product != "Dovecot pop3d" || svc.TLS != nil || svc.ExtraInfo != "STLS failed" {
		t.Errorf("refused STLS: got %+v", svc)
	}
}

func TestIdentifyLiveNoMatch(t *testing.T) {
	// A bare "+OK" greeting, then silence, or answers that are not
	// POP3's: a shape only.
	for _, unknown := range []string{"", "+OK\r\n", "ERROR unknown command\r\n"} {
		other := fptest.Lines{Greeting: []string{"+OK ready\r\n"}, Unknown: unknown}
		fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, other.Handle))
	}
	for _, greeting := range []string{others[1], others[5], others[6], "+OK no newline"} {
		addr := fptest.Serve(t, fptest.Reply([]byte(greeting), 0))
		fptest.MustNotMatch(t, plugin{}, addr)
	}
	silent := fptest.HangUp(t)
	fptest.MustNotMatch(t, plugin{}, silent)
}

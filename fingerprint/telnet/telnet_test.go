package telnet

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/record"
)

const (
	// inetutils telnetd 2.4 (Debian 12), its first write.
	inetutils = "\xff\xfb\x25\xff\xfb\x26\xff\xfd\x18\xff\xfd\x20\xff\xfd\x23\xff\xfd\x27\xff\xfd\x24"
	// BusyBox telnetd: its options, then login's prompt.
	busybox = "\xff\xfd\x01\xff\xfd\x1f\xff\xfb\x01\xff\xfb\x03\r\nrouter login: "
	// A Cisco IOS line: options, then the banner and prompt.
	cisco = "\xff\xfb\x01\xff\xfb\x03\xff\xfd\x18\xff\xfd\x1f\r\n\r\nUser Access Verification\r\n\r\nUsername: "
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
	"* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN] Dovecot (Debian) ready.\r\n",
	"200 news.example.com InterNetNews NNRP server INN 2.7.1 ready (posting ok)\r\n",
	"RFB 003.008\n",
	"@RSYNCD: 31.0 sha512 sha256 sha1 md5 md4\n",
	"d\x00\x00\x00\n5.5.5-10.11.19-MariaDB-0+deb12u1\x00\x03\x00\x00\x00QKfAQQ&e\x00\xfe\xf7\x08\x02\x00\xff\x81\x15\x00\x00\x00\x00\x00\x00\x1d\x00\x00\x00K)(.Lv.!Wvk5\x00mysql_native_password\x00",
	"D\x00\x00\x00\xffj\x04Host '127.0.0.1' is not allowed to connect to this MariaDB server",
	":irc.example.net NOTICE * :*** Looking up your hostname...\r\n",
	"\xff\x01\x02",
	"\xff\xfd\x01\x02\x03binary",
	"Welcome\r\n",
}

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want *record.Service
	}{
		{inetutils, &record.Service{Name: "telnet", Product: "GNU inetutils telnetd", Confidence: 9,
			CPE: []string{"cpe:2.3:a:gnu:inetutils:*:*:*:*:*:*:*:*"}}},
		{busybox, &record.Service{Name: "telnet", Product: "BusyBox telnetd", Confidence: 9,
			CPE: []string{"cpe:2.3:a:busybox:busybox:*:*:*:*:*:*:*:*"}}},
		{cisco, &record.Service{Name: "telnet", Confidence: 9}},
		{"\xff\xfd\x18", &record.Service{Name: "telnet", Confidence: 9}},
		{"\xff\xfa\x18\x01\xff\xf0\xff\xfb", &record.Service{Name: "telnet", Confidence: 9}},
		{"\r\nDebian GNU/Linux 12\r\nhost login: ", &record.Service{Name: "telnet", Confidence: 5}},
		{"Password: ", &record.Service{Name: "telnet", Confidence: 5}},
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

func TestSplit(t *testing.T) {
	negs, text, ok := Split([]byte(cisco))
	want := []Negotiation{{cmdWILL, 1}, {cmdWILL, 3}, {cmdDO, 24}, {cmdDO, 31}}
	if !ok || !cmp.Equal(negs, want) || string(text) != "\r\n\r\nUser Access Verification\r\n\r\nUsername: " {
		t.Errorf("Split(cisco) = %v, %q, %v", negs, text, ok)
	}
	// An escaped 255 is text; a subnegotiation is one negotiation.
	negs, text, ok = Split([]byte("a\xff\xffb\xff\xfa\x1f\x00\x50\x00\x18\xff\xf0c"))
	if !ok || !cmp.Equal(negs, []Negotiation{{cmdSB, 31}}) || string(text) != "a\xffbc" {
		t.Errorf("Split = %v, %q, %v", negs, text, ok)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range append(others, inetutils, busybox, cisco) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
	})
}

func TestIdentifyLive(t *testing.T) {
	addr := fptest.Serve(t, fptest.Reply([]byte(inetutils), 0))
	svc := fptest.MustMatch(t, plugin{}, addr)
	if svc.Product != "GNU inetutils telnetd" || svc.Method != "probed" {
		t.Errorf("inetutils: got %+v", svc)
	}
	addr = fptest.Serve(t, fptest.Reply([]byte(busybox), 0))
	if svc = fptest.MustMatch(t, plugin{}, addr); svc.Product != "BusyBox telnetd" {
		t.Errorf("busybox: got %+v", svc)
	}
	for _, banner := range []string{others[1], others[4], others[11]} {
		other := fptest.Serve(t, fptest.Reply([]byte(banner), 0))
		fptest.MustNotMatch(t, plugin{}, other)
	}
	silent := fptest.HangUp(t)
	fptest.MustNotMatch(t, plugin{}, silent)
}

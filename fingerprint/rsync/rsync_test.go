package rsync

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/record"
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
	"\xff\xfb\x25\xff\xfb\x26\xff\xfd\x18\xff\xfd\x20",
	"d\x00\x00\x00\n5.5.5-10.11.19-MariaDB-0+deb12u1\x00",
	"@RSYNCD: EXIT\n",
	"@RSYNCD: AUTHREQD abc\n",
	"@ERROR: max connections (1) reached -- try again later\n",
	"@RSYNCD: 31.0 sha\x00512\n",
	"@RSYNCD: \n",
}

func TestParse(t *testing.T) {
	cpe := []string{"cpe:2.3:a:samba:rsync:*:*:*:*:*:*:*:*"}
	tests := []struct {
		in   string
		want *record.Service
	}{
		// rsync 3.2.7, Debian 12.
		{"@RSYNCD: 31.0 sha512 sha256 sha1 md5 md4\n", &record.Service{Name: "rsync", Product: "rsyncd",
			ExtraInfo: "protocol 31.0; auth digests sha512 sha256 sha1 md5 md4", CPE: cpe, Confidence: 10}},
		// rsync 3.4 and later.
		{"@RSYNCD: 32.0 sha512 sha256 sha1 md5 md4\n", &record.Service{Name: "rsync", Product: "rsyncd",
			ExtraInfo: "protocol 32.0; auth digests sha512 sha256 sha1 md5 md4", CPE: cpe, Confidence: 10}},
		// rsync 3.0.
		{"@RSYNCD: 30.0\n", &record.Service{Name: "rsync", Product: "rsyncd", ExtraInfo: "protocol 30.0", CPE: cpe, Confidence: 10}},
		{"@RSYNCD: 29\n", &record.Service{Name: "rsync", Product: "rsyncd", ExtraInfo: "protocol 29", CPE: cpe, Confidence: 10}},
		{"@RSYNCD: 31.0", &record.Service{Name: "rsync", Product: "rsyncd", ExtraInfo: "protocol 31.0", CPE: cpe, Confidence: 8}},
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

func FuzzParse(f *testing.F) {
	for _, s := range append(others, "@RSYNCD: 31.0 sha512 sha256 sha1 md5 md4\n", "@RSYNCD: 30.0\n") {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
	})
}

func TestIdentifyLive(t *testing.T) {
	addr := fptest.Serve(t, fptest.Reply([]byte("@RSYNCD: 31.0 sha512 sha256 sha1 md5 md4\n"), 0))
	svc := fptest.MustMatch(t, plugin{}, addr)
	if svc.Product != "rsyncd" || svc.ExtraInfo != "protocol 31.0; auth digests sha512 sha256 sha1 md5 md4" || svc.Confidence != 10 {
		t.Errorf("got %+v", svc)
	}
	for _, banner := range []string{others[1], others[4], others[11]} {
		other := fptest.Serve(t, fptest.Reply([]byte(banner), 0))
		fptest.MustNotMatch(t, plugin{}, other)
	}
	silent := fptest.HangUp(t)
	fptest.MustNotMatch(t, plugin{}, silent)
}

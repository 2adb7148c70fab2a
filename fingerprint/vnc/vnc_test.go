package vnc

import (
	"io"
	"net"
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
	"+OK Dovecot (Debian) ready.\r\n",
	"@RSYNCD: 31.0 sha512 sha256 sha1 md5 md4\n",
	"\xff\xfb\x25\xff\xfb\x26\xff\xfd\x18\xff\xfd\x20",
	"d\x00\x00\x00\n5.5.5-10.11.19-MariaDB-0+deb12u1\x00",
	"RFB 003.008",
	"RFB 3.8\n",
	"RFB 0x3.008\n",
	"RFB 003,008\n",
}

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want *record.Service
	}{
		// TigerVNC 1.12, and most servers.
		{"RFB 003.008\n", &record.Service{Name: "vnc", ExtraInfo: "protocol 3.8", Confidence: 8}},
		{"RFB 003.003\n", &record.Service{Name: "vnc", ExtraInfo: "protocol 3.3", Confidence: 8}},
		{"RFB 003.889\n", &record.Service{Name: "vnc", Product: "Apple remote desktop vnc", ExtraInfo: "protocol 3.889", Confidence: 8}},
		{"RFB 005.000\n", &record.Service{Name: "vnc", Product: "RealVNC", ExtraInfo: "protocol 5.0", Confidence: 8,
			CPE: []string{"cpe:2.3:a:realvnc:realvnc:*:*:*:*:*:*:*:*"}}},
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

func TestParseSecurity(t *testing.T) {
	v38, v33 := Version{3, 8}, Version{3, 3}
	tests := []struct {
		v    Version
		in   string
		want Security
	}{
		// TigerVNC's default: VeNCrypt and VNC authentication.
		{v38, "\x02\x13\x02", Security{Types: []byte{19, 2}}},
		{v38, "\x01\x01", Security{Types: []byte{1}}},
		{v38, "\x00\x00\x00\x00\x1aToo many security failures", Security{Reason: "Too many security failures"}},
		{v33, "\x00\x00\x00\x01", Security{Types: []byte{1}}},
		{v33, "\x00\x00\x00\x00\x00\x00\x00\x00", Security{Reason: "no reason given"}},
	}
	for _, tt := range tests {
		got, err := ParseSecurity(tt.v, []byte(tt.in))
		if err != nil {
			t.Errorf("ParseSecurity(%v, %q): %v", tt.v, tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseSecurity(%v, %q) (-want +got):\n%s", tt.v, tt.in, diff)
		}
	}
	for _, in := range []string{"", "\x03\x01\x02", "\x00\x00\x00", "\x00\xff\xff\xff\xff"} {
		if got, err := ParseSecurity(v38, []byte(in)); err == nil {
			t.Errorf("ParseSecurity(3.8, %q) = %+v", in, got)
		}
	}
	for _, in := range []string{"", "\x00\x00\x01", "\x00\x00\x01\x00", "HTTP/1.1 400"} {
		if got, err := ParseSecurity(v33, []byte(in)); err == nil {
			t.Errorf("ParseSecurity(3.3, %q) = %+v", in, got)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range append(others, "RFB 003.008\n", "RFB 003.889\n", "\x02\x13\x02", "\x00\x00\x00\x00\x03abc") {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
		for _, v := range []Version{{3, 3}, {3, 8}} {
			if sec, err := ParseSecurity(v, b); err != nil && (sec.Types != nil || sec.Reason != "") {
				t.Fatalf("ParseSecurity: %+v with error %v", sec, err)
			}
		}
	})
}

// server plays an RFB server: it sends its version, reads the client's
// and answers with the security message.
func server(version, security string) func(net.Conn) {
	return func(c net.Conn) {
		c.Write([]byte(version))
		buf := make([]byte, 12)
		if _, err := io.ReadFull(c, buf); err != nil {
			return
		}
		c.Write([]byte(security))
		c.Read(buf)
	}
}

func TestIdentifyLive(t *testing.T) {
	addr := fptest.Serve(t, server("RFB 003.008\n", "\x02\x13\x02"))
	svc := fptest.MustMatch(t, plugin{}, addr)
	want := &record.Service{Name: "vnc", ExtraInfo: "protocol 3.8; security types: VeNCrypt, VNC Authentication",
		Confidence: 10, Method: "probed", Banner: `RFB 003.008\n`} // the greeting, not what followed
	if diff := cmp.Diff(want, svc); diff != "" {
		t.Errorf("TigerVNC (-want +got):\n%s", diff)
	}
	addr = fptest.Serve(t, server("RFB 003.003\n", "\x00\x00\x00\x01"))
	if svc = fptest.MustMatch(t, plugin{}, addr); svc.ExtraInfo != "protocol 3.3; security types: None" {
		t.Errorf("3.3: got %+v", svc)
	}
	addr = fptest.Serve(t, server("RFB 003.008\n", "\x00\x00\x00\x00\x1aToo many security failures"))
	if svc = fptest.MustMatch(t, plugin{}, addr); svc.ExtraInfo != "protocol 3.8; refusing: Too many security failures" {
		t.Errorf("refusing: got %+v", svc)
	}
	for _, banner := range []string{others[1], others[4], others[6]} {
		other := fptest.Serve(t, fptest.Reply([]byte(banner), 0))
		fptest.MustNotMatch(t, plugin{}, other)
	}
	silent := fptest.HangUp(t)
	fptest.MustNotMatch(t, plugin{}, silent)
}

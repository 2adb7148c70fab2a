package mysql

import (
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/record"
)

const (
	// MariaDB 10.11 (Debian 12): its handshake, captured.
	mariadb = "d\x00\x00\x00\n5.5.5-10.11.19-MariaDB-0+deb12u1\x00\x03\x00\x00\x00QKfAQQ&e\x00\xfe\xf7\x08\x02\x00\xff\x81" +
		"\x15\x00\x00\x00\x00\x00\x00\x1d\x00\x00\x00K)(.Lv.!Wvk5\x00mysql_native_password\x00"
	// MariaDB refusing a host it has no user for.
	notAllowed = "D\x00\x00\x00\xffj\x04Host '127.0.0.1' is not allowed to connect to this MariaDB server"
	// MySQL 8.0 refusing: too many connections, with an SQL state.
	tooMany = "\x1d\x00\x00\x00\xff\x10\x04#08004Too many connections"
)

// handshake builds a protocol 10 handshake as MySQL 8 sends it.
func handshake(version string, capabilities uint32, plugin string) []byte {
	p := []byte{10}
	p = append(p, version...)
	p = append(p, 0)
	p = binary.LittleEndian.AppendUint32(p, 42)
	p = append(p, "abcdefgh\x00"...)
	p = binary.LittleEndian.AppendUint16(p, uint16(capabilities))
	p = append(p, 0xff)
	p = binary.LittleEndian.AppendUint16(p, 2)
	p = binary.LittleEndian.AppendUint16(p, uint16(capabilities>>16))
	p = append(p, 21)
	p = append(p, make([]byte, 10)...)
	p = append(p, "ijklmnopqrst\x00"...)
	p = append(p, plugin...)
	p = append(p, 0)
	h := []byte{byte(len(p)), byte(len(p) >> 8), byte(len(p) >> 16), 0}
	return append(h, p...)
}

// others are what servers of other protocols say first.
var others = []string{
	"",
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\n\r\n",
	"\x15\x03\x03\x00\x02\x02\x46",
	"220 (vsFTPd 3.0.3)\r\n",
	"+OK Dovecot (Debian) ready.\r\n",
	"RFB 003.008\n",
	"@RSYNCD: 31.0 sha512 sha256 sha1 md5 md4\n",
	"\xff\xfb\x25\xff\xfb\x26\xff\xfd\x18\xff\xfd\x20",
	mariadb[:40],                        // cut short
	"\x05\x00\x00\x01\n5.0\x00",         // sequence 1
	"\x06\x00\x00\x00\x09abc\x00\x00",   // protocol 9
	"\x08\x00\x00\x00\nabc\x00\x00\x00", // version not a number
	"\x05\x00\x00\x00\xff\x01\x00ab",    // error code 1
	"\x05\x00\x00\x00\xff\x6a\x04\x01\x02",
}

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want *record.Service
	}{
		{mariadb, &record.Service{Name: "mysql", Product: "MariaDB", Version: "10.11.19", ExtraInfo: "0+deb12u1",
			Confidence: 10, CPE: []string{"cpe:2.3:a:mariadb:mariadb:10.11.19:*:*:*:*:*:*:*"}}},
		{string(handshake("8.0.36-0ubuntu0.22.04.1", 0xdfffffff, "caching_sha2_password")), &record.Service{Name: "mysql",
			Product: "MySQL", Version: "8.0.36", ExtraInfo: "0ubuntu0.22.04.1", Confidence: 10,
			CPE: []string{"cpe:2.3:a:oracle:mysql:8.0.36:*:*:*:*:*:*:*"}}},
		{string(handshake("5.7.44-log", 0xc1ff7fff, "mysql_native_password")), &record.Service{Name: "mysql",
			Product: "MySQL", Version: "5.7.44", ExtraInfo: "log", Confidence: 10,
			CPE: []string{"cpe:2.3:a:oracle:mysql:5.7.44:*:*:*:*:*:*:*"}}},
		{string(handshake("11.4.2-MariaDB-log", 0xc1ff7fff, "mysql_native_password")), &record.Service{Name: "mysql",
			Product: "MariaDB", Version: "11.4.2", ExtraInfo: "log", Confidence: 10,
			CPE: []string{"cpe:2.3:a:mariadb:mariadb:11.4.2:*:*:*:*:*:*:*"}}},
		{string(handshake("5.6-odd", 0, "")), &record.Service{Name: "mysql", ExtraInfo: "version 5.6-odd", Confidence: 10}},
		{notAllowed, &record.Service{Name: "mysql", Product: "MariaDB", Confidence: 8,
			ExtraInfo: "refusing: error 1130: Host '127.0.0.1' is not allowed to connect to this MariaDB server"}},
		{tooMany, &record.Service{Name: "mysql", Confidence: 8, ExtraInfo: "refusing: error 1040: Too many connections"}},
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

func TestParseHandshake(t *testing.T) {
	hs, err := ParseHandshake([]byte(mariadb[4:]))
	if err != nil {
		t.Fatal(err)
	}
	want := Handshake{Version: "5.5.5-10.11.19-MariaDB-0+deb12u1", ConnectionID: 3, Capabilities: 0x81fff7fe,
		Charset: 8, Status: 2, AuthPlugin: "mysql_native_password"}
	if diff := cmp.Diff(want, hs); diff != "" {
		t.Errorf("handshake (-want +got):\n%s", diff)
	}
	if hs.Capabilities&clientSSL != 0 {
		t.Error("this MariaDB offers no TLS")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range append(others, mariadb, notAllowed, tooMany, string(handshake("8.0.36", 0xffffffff, "x"))) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
	})
}

// tlsServer sends a handshake offering TLS, checks the SSLRequest, and
// runs the TLS handshake.
func tlsServer(t *testing.T, conf *tls.Config, got chan<- []byte) func(net.Conn) {
	return func(c net.Conn) {
		c.Write(handshake("8.0.36", 0xdfffffff, "caching_sha2_password"))
		req := make([]byte, 36)
		if _, err := io.ReadFull(c, req); err != nil {
			return
		}
		got <- req
		fptest.ServeTLS(c, conf)
	}
}

func TestIdentifyLive(t *testing.T) {
	addr := fptest.Serve(t, fptest.Reply([]byte(mariadb), 0))
	svc := fptest.MustMatch(t, plugin{}, addr)
	if svc.Product != "MariaDB" || svc.Version != "10.11.19" || svc.TLS != nil {
		t.Errorf("mariadb: got %+v", svc)
	}
	addr = fptest.Serve(t, fptest.Reply([]byte(notAllowed), 0))
	if svc = fptest.MustMatch(t, plugin{}, addr); svc.Product != "MariaDB" || svc.Confidence != 8 {
		t.Errorf("not allowed: got %+v", svc)
	}

	reqs := make(chan []byte, 4)
	addr = fptest.Serve(t, tlsServer(t, fptest.TLSConfig(t, "db.test"), reqs))
	svc = fptest.MustMatch(t, plugin{}, addr)
	if svc.Product != "MySQL" || svc.Version != "8.0.36" || svc.TLS == nil || svc.TLS.StartTLS != "SSLRequest" ||
		svc.TLS.Cert == nil || svc.TLS.Cert.Subject != "CN=db.test" {
		t.Errorf("TLS: got %+v, TLS %+v", svc, svc.TLS)
	}
	req := <-reqs
	if req[0] != 32 || req[3] != 1 || binary.LittleEndian.Uint32(req[4:])&clientSSL == 0 || req[12] != 0xff {
		t.Errorf("SSLRequest % x", req)
	}

	for _, banner := range []string{others[1], others[2], others[6]} {
		other := fptest.Serve(t, fptest.Reply([]byte(banner), 0))
		fptest.MustNotMatch(t, plugin{}, other)
	}
	silent := fptest.HangUp(t)
	fptest.MustNotMatch(t, plugin{}, silent)
}

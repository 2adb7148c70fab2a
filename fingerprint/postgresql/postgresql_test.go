package postgresql

import (
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/record"
)

// Answers of PostgreSQL 15.18 (Debian 12) to StartupMessage("ajar", "ajar").
const (
	saslRequest = "R\x00\x00\x00\x17\x00\x00\x00\nSCRAM-SHA-256\x00\x00"
	hbaReject   = "E\x00\x00\x00\x9fSFATAL\x00VFATAL\x00C28000\x00Mpg_hba.conf rejects connection for host \"127.0.0.1\", " +
		"user \"ajar\", database \"nodb\", no encryption\x00Fauth.c\x00L476\x00RClientAuthentication\x00\x00"
	badProtocol = "E\x00\x00\x00\x83SFATAL\x00VFATAL\x00C0A000\x00Munsupported frontend protocol 4.0: server supports " +
		"3.0 to 3.0\x00Fpostmaster.c\x00L2222\x00RProcessStartupPacket\x00\x00"
)

// msg frames a backend message.
func msg(typ byte, body string) string {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(body)+4))
	return string(typ) + string(n[:]) + body
}

// trusted is what a server with "trust" authentication sends a user it
// lets in.
var trusted = msg('R', "\x00\x00\x00\x00") +
	msg('S', "application_name\x00ajar\x00") +
	msg('S', "server_encoding\x00UTF8\x00") +
	msg('S', "server_version\x0015.18 (Debian 15.18-0+deb12u1)\x00") +
	msg('K', "\x00\x00\x10\x00\x12\x34\x56\x78") +
	msg('Z', "I")

var others = []string{
	"",
	"N",
	"S",
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\n\r\n",
	"220 mail.example.org ESMTP Exim 4.96\r\n",
	"-ERR unknown command\r\n",
	"ERROR\r\n",
	"\x15\x03\x01\x00\x02\x02\x50",
	"J\x00\x00\x00\x0a5.5.5-10.11.6-MariaDB",
	msg('R', "\x00\x00\x00\x63"),                 // unknown authentication
	msg('E', "SFATAL\x00Mno code\x00\x00"),       // no SQLSTATE
	msg('S', "server_version\x0015.1\x00"),       // parameters without authentication
	msg('v', "\x00\x00\x00\x00\x00\x00\x00\x00"), // nothing after NegotiateProtocolVersion
	"E\x00\x00\xff\xffSFATAL",                    // too long
}

func TestParseStartup(t *testing.T) {
	cpe := []string{"cpe:2.3:a:postgresql:postgresql:*:*:*:*:*:*:*:*"}
	pg := func(extra string) *record.Service {
		return &record.Service{Name: "postgresql", Product: "PostgreSQL", ExtraInfo: extra, Confidence: 10, CPE: cpe}
	}
	tests := []struct {
		in   string
		want *record.Service
	}{
		{saslRequest, pg("auth: SCRAM-SHA-256")},
		{msg('R', "\x00\x00\x00\x05\x01\x02\x03\x04"), pg("auth: md5")},
		{msg('R', "\x00\x00\x00\x03"), pg("auth: password")},
		{hbaReject, pg(`error 28000: pg_hba.conf rejects connection for host "127.0.0.1", user "ajar", database "nodb", no encryption`)},
		{badProtocol, pg("error 0A000: unsupported frontend protocol 4.0: server supports 3.0 to 3.0")},
		{msg('E', "SFATAL\x00VFATAL\x00C3D000\x00Mdatabase \"ajar\" does not exist\x00\x00"),
			pg(`error 3D000: database "ajar" does not exist`)},
		{msg('v', "\x00\x00\x00\x00\x00\x00\x00\x00") + saslRequest, pg("auth: SCRAM-SHA-256")},
		{trusted, &record.Service{Name: "postgresql", Product: "PostgreSQL", Version: "15.18",
			ExtraInfo: "auth: trust; Debian 15.18-0+deb12u1", Confidence: 10,
			CPE: []string{"cpe:2.3:a:postgresql:postgresql:15.18:*:*:*:*:*:*:*"}}},
	}
	for _, tt := range tests {
		got, err := ParseStartup([]byte(tt.in))
		if err != nil {
			t.Errorf("ParseStartup(%q): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseStartup(%q) (-want +got):\n%s", tt.in, diff)
		}
		if !startupDone([]byte(tt.in)) {
			t.Errorf("startupDone(%q) = false", tt.in)
		}
		if startupDone([]byte(tt.in[:len(tt.in)-1])) {
			t.Errorf("startupDone(%q) = true for a cut answer", tt.in[:len(tt.in)-1])
		}
	}
	fptest.NoMatch(t, "ParseStartup", ParseStartup, others...)
}

func TestRequests(t *testing.T) {
	if got := SSLRequest(); string(got) != "\x00\x00\x00\x08\x04\xd2\x16\x2f" {
		t.Errorf("SSLRequest() = %q", got)
	}
	want := "\x00\x00\x00\x37\x00\x03\x00\x00user\x00ajar\x00database\x00ajar\x00application_name\x00ajar\x00\x00"
	if got := StartupMessage("ajar", "ajar"); string(got) != want {
		t.Errorf("StartupMessage() = %q, want %q", got, want)
	}
}

func FuzzParseStartup(f *testing.F) {
	for _, s := range []string{saslRequest, hbaReject, badProtocol, trusted} {
		f.Add([]byte(s))
	}
	for _, o := range others {
		f.Add([]byte(o))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "ParseStartup", ParseStartup, b)
		startupDone(b)
	})
}

// readStartup reads a length-prefixed startup packet.
func readStartup(c net.Conn) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(c, n[:]); err != nil {
		return nil, err
	}
	l := binary.BigEndian.Uint32(n[:])
	if l < 8 || l > 10000 {
		return nil, errors.New("bad length")
	}
	body := make([]byte, l-4)
	_, err := io.ReadFull(c, body)
	return body, err
}

// server plays PostgreSQL: it answers SSLRequest with 'S' (and a TLS
// session) when conf is set, 'N' otherwise, and the startup with answer.
func server(conf *tls.Config, answer string) func(net.Conn) {
	return func(c net.Conn) {
		body, err := readStartup(c)
		if err != nil {
			return
		}
		if binary.BigEndian.Uint32(body) == sslRequestCode {
			if conf == nil {
				c.Write([]byte("N"))
			} else {
				c.Write([]byte("S"))
				tc := tls.Server(c, conf)
				if tc.Handshake() != nil {
					return
				}
				c = tc
			}
			if body, err = readStartup(c); err != nil {
				return
			}
		}
		if binary.BigEndian.Uint32(body) != protocol30 {
			return
		}
		// The answer in two pieces.
		c.Write([]byte(answer[:3]))
		c.Write([]byte(answer[3:]))
		io.Copy(io.Discard, c)
	}
}

func TestIdentifyLive(t *testing.T) {
	svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, server(nil, saslRequest)))
	if svc.Product != "PostgreSQL" || svc.ExtraInfo != "auth: SCRAM-SHA-256" || svc.TLS != nil || svc.Confidence != 10 {
		t.Errorf("clear: got %+v", svc)
	}
	svc = fptest.MustMatch(t, plugin{}, fptest.Serve(t, server(fptest.TLSConfig(t, "pg.test"), hbaReject)))
	if svc.Product != "PostgreSQL" || svc.TLS == nil || svc.TLS.StartTLS != "SSLRequest" ||
		svc.TLS.Cert == nil || svc.TLS.Cert.Subject != "CN=pg.test" || svc.Confidence != 10 {
		t.Errorf("TLS: got %+v (TLS %+v)", svc, svc.TLS)
	}
	ssh := fptest.Serve(t, fptest.Reply([]byte("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"), 0))
	fptest.MustNotMatch(t, plugin{}, ssh)
	http := fptest.Serve(t, fptest.Reply([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"), 8))
	fptest.MustNotMatch(t, plugin{}, http)
	silent := fptest.Silent(t)
	fptest.MustNotMatch(t, plugin{}, silent)
}

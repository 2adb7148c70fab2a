package nats

import (
	"net"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/record"
)

// debian is the INFO line of nats-server 2.9.10 from Debian 12.
const debian = `INFO {"server_id":"NBQQBSRFM5XV6Y7LCG2OW5V6UFMSNKHM3ETCFYSQ54KQV3WOI5XUSQ2O",` +
	`"server_name":"NBQQBSRFM5XV6Y7LCG2OW5V6UFMSNKHM3ETCFYSQ54KQV3WOI5XUSQ2O","version":"2.9.10","proto":1,` +
	`"go":"go1.19.8","host":"127.0.0.1","port":14222,"headers":true,"max_payload":1048576,"client_id":4,` +
	`"client_ip":"127.0.0.1"} ` + "\r\n"

// secured is a clustered server that wants TLS and credentials.
const secured = `INFO {"server_id":"NDJ2","server_name":"hub-1","version":"2.10.7","proto":1,"git_commit":"fa8464d",` +
	`"go":"go1.21.5","host":"0.0.0.0","port":4222,"headers":true,"auth_required":true,"tls_required":true,` +
	`"max_payload":1048576,"jetstream":true,"cluster":"hub"}` + "\r\n"

var others = []string{
	"",
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\n\r\n",
	"220 mail.example.org ESMTP Exim 4.96\r\n",
	"+OK Dovecot (Debian) ready.\r\n",
	"INFO\r\n",
	"INFO {}\r\n",
	"INFO {\"version\":\"1.0\"}\r\n",
	"INFO {\"server_id\":\"x\",\"version\":\"2.9.10\"\r\n", // broken JSON on a whole line
	"INFORMATION: hello\r\n",
	"\x15\x03\x01\x00\x02\x02\x50",
}

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want *record.Service
	}{
		{debian, &record.Service{Name: "nats", Product: "NATS Server", Version: "2.9.10",
			ExtraInfo: "proto 1; go1.19.8", Confidence: 10,
			CPE: []string{"cpe:2.3:a:linuxfoundation:nats-server:2.9.10:*:*:*:*:*:*:*"}}},
		{secured, &record.Service{Name: "nats", Product: "NATS Server", Version: "2.10.7",
			ExtraInfo: "name: hub-1; cluster: hub; proto 1; go1.21.5; JetStream; auth required; TLS required", Confidence: 10,
			CPE: []string{"cpe:2.3:a:linuxfoundation:nats-server:2.10.7:*:*:*:*:*:*:*"}}},
		// Cut by the banner's size: no line end.
		{debian[:strings.Index(debian, `"host"`)], &record.Service{Name: "nats", Product: "NATS Server", Version: "2.9.10",
			ExtraInfo: "go1.19.8", Confidence: 8,
			CPE: []string{"cpe:2.3:a:linuxfoundation:nats-server:2.9.10:*:*:*:*:*:*:*"}}},
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
	f.Add([]byte(debian))
	f.Add([]byte(secured))
	f.Add([]byte(debian[:strings.Index(debian, `"host"`)]))
	for _, o := range others {
		f.Add([]byte(o))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
	})
}

func TestIdentifyLive(t *testing.T) {
	svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, fptest.Reply([]byte(debian), 0)))
	if svc.Product != "NATS Server" || svc.Version != "2.9.10" || svc.Confidence != 10 || svc.TLS != nil {
		t.Errorf("got %+v", svc)
	}
	// A server with a long INFO (more than the banner keeps) that wants
	// TLS after it.
	long := strings.Replace(secured, `"cluster":"hub"`, `"cluster":"hub","connect_urls":["`+
		strings.Repeat("10.0.0.1:4222\",\"", 200)+`10.0.0.2:4222"]`, 1)
	conf := fptest.TLSConfig(t, "nats.test")
	addr := fptest.Serve(t, func(c net.Conn) {
		c.Write([]byte(long[:500]))
		c.Write([]byte(long[500:]))
		fptest.ServeTLS(c, conf)
	})
	svc = fptest.MustMatch(t, plugin{}, addr)
	if svc.Version != "2.10.7" || svc.Confidence != 10 || svc.TLS == nil || svc.TLS.StartTLS != "tls_required" {
		t.Errorf("got %+v (TLS %+v)", svc, svc.TLS)
	}
	smtp := fptest.Serve(t, fptest.Reply([]byte("220 mail ESMTP\r\n"), 0))
	fptest.MustNotMatch(t, plugin{}, smtp)
	silent := fptest.Silent(t)
	fptest.MustNotMatch(t, plugin{}, silent)
}

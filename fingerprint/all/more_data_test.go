package all_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/ajarsec/ajar/fingerprint"
	_ "github.com/ajarsec/ajar/fingerprint/all"
	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/portspec"
)

// TestDataAnswersNameOnce runs the whole identification, every plugin
// compiled in, against servers that give one protocol's answer (of the
// databases, queues and messaging in more_data.go) to whatever they are
// asked: only that protocol's plugin may name the service, every other
// plugin sees an answer it must not take for its own.
func TestDataAnswersNameOnce(t *testing.T) {
	answers := map[string]string{
		"stomp":      "CONNECTED\nserver:ActiveMQ/5.17.2\nheart-beat:0,0\nversion:1.2\n\n\x00\n",
		"firebird":   "\x00\x00\x00b\xff\xff\x80\x0f\x00\x00\x00\x01\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00\x03Srp\x00\x00\x00\x00\x00\x00\x00\x00\x00",
		"clickhouse": "\x00\nClickHouse\x12\x10\x8c\xa9\x03\x07Etc/UTC\x02vm\x01",
		"couchbase":  "\x81\x1f\x00\x00\x00\x00\x00\x00\x00\x00\x00\x04ajar\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00\x07",
		"riak":       "\x00\x00\x00\x18\x08\n\x0eriak@127.0.0.1\x12\x052.2.3",
		"nsq":        "\x00\x00\x00\x2e\x00\x00\x00\x00" + `{"max_rdy_count":2500,"max_msg_timeout":9}`,
		"rethinkdb":  `{"success":true,"min_protocol_version":0,"max_protocol_version":0,"server_version":"2.3.0"}` + "\x00",
		"aerospike":  "\x02\x01\x00\x00\x00\x00\x00\x32" + "build\t6.4.0.2\nedition\tAerospike Community Edition\n",
		"pulsar":     "\x00\x00\x00#\x00\x00\x00\x1f\x08\x03\x1a\x1b\n\x12Pulsar Server3.1.2\x10\x15\x18\x80\xd0\xc0\x02",
		"ignite":     " \x00\x00\x00\x00\x01\x00\x07\x00\x00\x00\t\x14\x00\x00\x00Unsupported version.",
		"oracle-tns": "\x00\x3d\x00\x00\x04\x00\x00\x00\x22\x00\x00\x31(DESCRIPTION=(TMP=)(VSNNUM=186647552)(ERR=12514))",
		"drda":       "\x00\x1d\xd0\x02\x00\x01\x00\x17\x14\x43\x00\x13\x11\x47\xd8\xc4\xc2\xf2\x61\xd3\xc9\xd5\xe4\xe7\xe7\xf8\xf6\xf6\xf4",
	}
	cfg := fingerprint.Config{Timeout: 15 * time.Second, ProbeTimeout: 700 * time.Millisecond, BannerWait: 300 * time.Millisecond}
	for want, ans := range answers {
		t.Run(want, func(t *testing.T) {
			t.Parallel()
			addr := fptest.Serve(t, func(c net.Conn) {
				c.SetReadDeadline(time.Now().Add(3 * time.Second))
				if n, _ := c.Read(make([]byte, 4096)); n > 0 {
					c.Write([]byte(ans))
					time.Sleep(300 * time.Millisecond)
				}
			})
			svc, err := cfg.Identify(context.Background(), fingerprint.Target{Addr: addr, Proto: portspec.TCP})
			if err != nil || svc.Name != want {
				t.Errorf("named %+v, %v; want %s", svc, err, want)
			}
		})
	}
}

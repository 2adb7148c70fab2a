package amqp

import (
	"errors"
	"io"
	"net"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/record"
)

// rabbit is the Connection.Start of rabbitmq-server 3.10.8 (Debian 12).
const rabbit = "\x01\x00\x00\x00\x00\x01\xf0\x00\n\x00\n\x00\t\x00\x00\x01\xcb\x0ccapabilitiesF\x00\x00\x00\xc7" +
	"\x12publisher_confirmst\x01\x1aexchange_exchange_bindingst\x01\nbasic.nackt\x01\x16consumer_cancel_notifyt\x01" +
	"\x12connection.blockedt\x01\x13consumer_prioritiest\x01\x1cauthentication_failure_closet\x01\x10per_consumer_qost\x01" +
	"\x0fdirect_reply_tot\x01\x0ccluster_nameS\x00\x00\x00\tajarfp@vm\tcopyrightS\x00\x00\x007Copyright (c) 2007-2022 " +
	"VMware, Inc. or its affiliates.\x0binformationS\x00\x00\x009Licensed under the MPL 2.0. Website: https://rabbitmq.com" +
	"\x08platformS\x00\x00\x00\x11Erlang/OTP 25.2.3\x07productS\x00\x00\x00\x08RabbitMQ\x07versionS\x00\x00\x00\x063.10.8" +
	"\x00\x00\x00\x0eAMQPLAIN PLAIN\x00\x00\x00\x05en_US\xce"

var others = []string{
	"",
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\n\r\n",
	"220 mail.example.org ESMTP Exim 4.96\r\n",
	"-ERR unknown command\r\n",
	"\x15\x03\x01\x00\x02\x02\x50",
	"AMQP",
	"AMQP\x07\x07\x07\x07",
	" \x02\x00\x00",
	rabbit[:100],
	rabbit[:len(rabbit)-1] + "\x00",                    // no frame end
	"\x01\x00\x00\x00\x00\x00\x04\x00\x0a\x00\x0b\xce", // Connection.StartOk
	"\x01\x00\x00\xff\xff\xff\xff\x00",
}

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want *record.Service
	}{
		{rabbit, &record.Service{Name: "amqp", Product: "RabbitMQ", Version: "3.10.8",
			ExtraInfo: "AMQP 0-9; Erlang/OTP 25.2.3; cluster: ajarfp@vm; auth: AMQPLAIN PLAIN", Confidence: 10,
			CPE: []string{"cpe:2.3:a:vmware:rabbitmq:3.10.8:*:*:*:*:*:*:*"}}},
		{"AMQP\x00\x01\x00\x00", &record.Service{Name: "amqp", ExtraInfo: "AMQP 1.0", Confidence: 9}},
		{"AMQP\x03\x01\x00\x00", &record.Service{Name: "amqp", ExtraInfo: "AMQP 1.0", Confidence: 9}},
		{"AMQP\x01\x01\x00\x0a", &record.Service{Name: "amqp", ExtraInfo: "AMQP 0-10", Confidence: 9}},
		{startFrame(t, "\x00\x00\x00\x2d"+
			"\x07productS\x00\x00\x00\x04toy!"+
			"\x01aA\x00\x00\x00\x0as\x00\x01D\x02\x00\x00\x00\x07V"+
			"\x01ll\x00\x00\x00\x00\x00\x00\x00\x01",
			"\x00\x00\x00\x05PLAIN\x00\x00\x00\x00"),
			&record.Service{Name: "amqp", Product: "toy!", ExtraInfo: "AMQP 0-9; auth: PLAIN", Confidence: 10}},
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
		if !frameDone([]byte(tt.in)) || frameDone([]byte(tt.in[:len(tt.in)-1])) {
			t.Errorf("frameDone(%q) does not see where the answer ends", tt.in)
		}
	}
	bad := append([]string{
		// a table whose field runs past its end
		startFrame(t, "\x00\x00\x00\x0a\x07productS\x00\x00\x00\x04toy!", "\x00\x00\x00\x00\x00\x00\x00\x00"),
		// an unknown field type
		startFrame(t, "\x00\x00\x00\x03\x01a?", "\x00\x00\x00\x00\x00\x00\x00\x00"),
		// tables nested too deep
		startFrame(t, nested(20), "\x00\x00\x00\x00\x00\x00\x00\x00"),
		// no locales
		startFrame(t, "\x00\x00\x00\x00", "\x00\x00\x00\x05PLAIN"),
		// our own header, echoed
		"AMQP\x00\x00\x09\x01",
	}, others...)
	for _, in := range bad {
		if got, err := Parse([]byte(in)); !errors.Is(err, fingerprint.ErrNoMatch) {
			t.Errorf("Parse(%q) = %+v, %v; want ErrNoMatch", in, got, err)
		}
	}
}

// startFrame frames a Connection.Start 0-9 with a properties table and
// the strings after it.
func startFrame(t testing.TB, table, after string) string {
	t.Helper()
	p := "\x00\x0a\x00\x0a\x00\x09" + table + after
	n := len(p)
	return "\x01\x00\x00" + string([]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}) + p + "\xce"
}

// nested is a table holding a table, depth times.
func nested(depth int) string {
	s := "\x00\x00\x00\x00"
	for range depth {
		n := len(s) + 3
		s = string([]byte{0, 0, byte(n >> 8), byte(n)}) + "\x01tF" + s
	}
	return s
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(rabbit))
	f.Add([]byte("AMQP\x00\x01\x00\x00"))
	f.Add([]byte(startFrame(f, nested(3), "\x00\x00\x00\x00\x00\x00\x00\x00")))
	for _, o := range others {
		f.Add([]byte(o))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
		frameDone(b)
	})
}

// broker reads the protocol header and answers with answer in pieces.
func broker(answer string) func(net.Conn) {
	return func(c net.Conn) {
		h := make([]byte, 8)
		if _, err := io.ReadFull(c, h); err != nil || string(h) != string(Header) {
			c.Write([]byte("AMQP\x00\x00\x09\x01"))
			return
		}
		for i := 0; i < len(answer); i += 100 {
			c.Write([]byte(answer[i:min(i+100, len(answer))]))
		}
		io.Copy(io.Discard, c)
	}
}

func TestIdentifyLive(t *testing.T) {
	svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, broker(rabbit)))
	if svc.Product != "RabbitMQ" || svc.Version != "3.10.8" || svc.Confidence != 10 {
		t.Errorf("got %+v", svc)
	}
	svc = fptest.MustMatch(t, plugin{}, fptest.Serve(t, broker("AMQP\x00\x01\x00\x00")))
	if svc.ExtraInfo != "AMQP 1.0" {
		t.Errorf("got %+v", svc)
	}
	http := fptest.Serve(t, fptest.Reply([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"), 8))
	fptest.MustNotMatch(t, plugin{}, http)
	silent := fptest.Silent(t)
	fptest.MustNotMatch(t, plugin{}, silent)
}

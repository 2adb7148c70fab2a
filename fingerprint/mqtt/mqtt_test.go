package mqtt

import (
	"io"
	"net"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/record"
)

var others = []string{
	"",
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\n\r\n",
	"220 mail.example.org ESMTP Exim 4.96\r\n",
	"-ERR unknown command\r\n",
	"\x15\x03\x01\x00\x02\x02\x50",
	"AMQP\x00\x00\x09\x01",
	" \x02\x00",             // cut short
	" \x02\x00\x06",         // no such return code
	" \x02\x01\x05",         // session present with a refusal
	" \x03\x00\x87\x05",     // properties longer than the packet
	" \x03\x00\x42\x00",     // no such reason code
	"\x90\x03\x00\x01\x00",  // SUBACK
	" \xff\xff\xff\xff\xff", // length of more than four bytes
}

func TestParseConnack(t *testing.T) {
	tests := []struct {
		in, extra string
	}{
		// mosquitto 2.0.11 (Debian 12): anonymous allowed, then not.
		{" \x02\x00\x00", "MQTT 3.1.1; connection accepted"},
		{" \x02\x00\x05", "MQTT 3.1.1; not authorized"},
		{" \x02\x00\x01", "MQTT 3.1.1; unacceptable protocol version"},
		{" \x02\x01\x00", "MQTT 3.1.1; connection accepted"},
		// mosquitto's answers to an MQTT 5 CONNECT.
		{" \t\x00\x00\x06\"\x00\n!\x00\x14", "MQTT 5; connection accepted"},
		{" \x03\x00\x87\x00", "MQTT 5; not authorized"},
		{" \x03\x00\x84\x00", "MQTT 5; unsupported protocol version"},
	}
	for _, tt := range tests {
		got, err := ParseConnack([]byte(tt.in))
		if err != nil {
			t.Errorf("ParseConnack(%q): %v", tt.in, err)
			continue
		}
		want := &record.Service{Name: "mqtt", ExtraInfo: tt.extra, Confidence: 10}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ParseConnack(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
	fptest.NoMatch(t, "ParseConnack", ParseConnack, others...)
}

func TestConnect(t *testing.T) {
	if got, want := string(Connect(4)), "\x10\x10\x00\x04MQTT\x04\x02\x00\x3c\x00\x04ajar"; got != want {
		t.Errorf("Connect(4) = %q, want %q", got, want)
	}
	if got, want := string(Connect(5)), "\x10\x11\x00\x04MQTT\x05\x02\x00\x3c\x00\x00\x04ajar"; got != want {
		t.Errorf("Connect(5) = %q, want %q", got, want)
	}
}

func FuzzParseConnack(f *testing.F) {
	f.Add([]byte(" \x02\x00\x00"))
	f.Add([]byte(" \t\x00\x00\x06\"\x00\n!\x00\x14"))
	for _, o := range others {
		f.Add([]byte(o))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "ParseConnack", ParseConnack, b)
		connackDone(b)
	})
}

// broker plays an MQTT broker: it reads a CONNECT, answers with answer in
// two pieces, answers a SUBSCRIBE to $SYS/broker/version with sysVersion
// when it has one, and reports whether the client said DISCONNECT.
func broker(answer, sysVersion string, disconnected chan<- bool) func(net.Conn) {
	return func(c net.Conn) {
		req := make([]byte, 64)
		n, _ := io.ReadAtLeast(c, req, len(Connect(4)))
		if string(req[:n]) != string(Connect(4)) {
			return
		}
		c.Write([]byte(answer[:1]))
		c.Write([]byte(answer[1:]))
		sub := subscribeVersion()
		got := make([]byte, len(sub))
		if answer[3] == 0 {
			if _, err := io.ReadFull(c, got); err != nil || string(got) != string(sub) {
				return
			}
			c.Write([]byte{0x90, 0x03, 0x00, 0x01, 0x00}) // SUBACK
			if sysVersion != "" {
				body := append([]byte{0, byte(len(sysVersionTopic))}, sysVersionTopic...)
				body = append(body, sysVersion...)
				c.Write(append([]byte{0x31, byte(len(body))}, body...)) // PUBLISH, retained
			}
		}
		rest, _ := io.ReadAll(c)
		if disconnected != nil {
			disconnected <- string(rest) == string(disconnect)
		}
	}
}

func TestParseSysVersion(t *testing.T) {
	pub := func(typ byte, topic, payload string) string {
		body := string([]byte{0, byte(len(topic))}) + topic
		if typ&0x06 != 0 {
			body += "\x00\x07"
		}
		body += payload
		return string([]byte{typ, byte(len(body))}) + body
	}
	for _, tt := range []struct{ in, product, version string }{
		{pub(0x31, sysVersionTopic, "mosquitto version 2.0.11"), "Mosquitto", "2.0.11"},
		{"\x90\x03\x00\x01\x00" + pub(0x33, sysVersionTopic, "VerneMQ version 1.12.3"), "VerneMQ", "1.12.3"},
		{pub(0x30, "other/topic", "x version 1") + pub(0x30, sysVersionTopic, "mosquitto version 1.6.9"), "Mosquitto", "1.6.9"},
	} {
		p, v, err := ParseSysVersion([]byte(tt.in))
		if err != nil || p != tt.product || v != tt.version {
			t.Errorf("ParseSysVersion(%q) = %q %q %v", tt.in, p, v, err)
		}
	}
	for _, in := range []string{"", "\x90\x03\x00\x01\x80", pub(0x30, sysVersionTopic, "just words"), pub(0x30, "x", "mosquitto version 2")} {
		if _, _, err := ParseSysVersion([]byte(in)); err == nil {
			t.Errorf("ParseSysVersion(%q): no error", in)
		}
	}
}

func FuzzParseSysVersion(f *testing.F) {
	f.Add([]byte("\x31\x2b\x00\x13$SYS/broker/versionmosquitto version 2.0.11"))
	f.Fuzz(func(t *testing.T, b []byte) { ParseSysVersion(b) })
}

func TestIdentifyLive(t *testing.T) {
	bye := make(chan bool, 1)
	svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, broker(" \x02\x00\x00", "", bye)))
	if svc.Name != "mqtt" || svc.ExtraInfo != "MQTT 3.1.1; connection accepted" || svc.Product != "" {
		t.Errorf("got %+v", svc)
	}
	if !<-bye {
		t.Error("no DISCONNECT after an accepted CONNECT")
	}
	svc = fptest.MustMatch(t, plugin{}, fptest.Serve(t, broker(" \x02\x00\x00", "mosquitto version 2.0.11", bye)))
	if svc.Product != "Mosquitto" || svc.Version != "2.0.11" || len(svc.CPE) != 1 {
		t.Errorf("with $SYS: got %+v", svc)
	}
	if !<-bye {
		t.Error("no DISCONNECT after the $SYS answer")
	}
	svc = fptest.MustMatch(t, plugin{}, fptest.Serve(t, broker(" \x02\x00\x05", "", nil)))
	if svc.ExtraInfo != "MQTT 3.1.1; not authorized" {
		t.Errorf("got %+v", svc)
	}
	http := fptest.Serve(t, fptest.Reply([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"), 8))
	fptest.MustNotMatch(t, plugin{}, http)
	silent := fptest.Silent(t)
	fptest.MustNotMatch(t, plugin{}, silent)
}

package broker

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/ajarsec/ajar/audit/audittest"
	"github.com/ajarsec/ajar/record"
)

// judged sums up a judge's answer.
func judged(fs []record.Finding, err error) string { return audittest.Summary(fs, err) }

func TestJudgeMQTT(t *testing.T) {
	for in, want := range map[string]string{
		"\x20\x02\x00\x00":     "mqtt-anonymous/high", // Mosquitto 2.0.11, allow_anonymous true
		"\x20\x02\x01\x00":     "mqtt-anonymous/high",
		"\x20\x02\x00\x05":     "n/a", // not authorized (allow_anonymous false)
		"\x20\x02\x00\x04":     "n/a", // bad user name or password
		"\x20\x03\x00\x00\x00": "n/a", // MQTT 5's CONNACK has properties: not ours
		"HTTP/1.1 400":         "n/a",
		"":                     "n/a",
	} {
		if got := judged(JudgeMQTT([]byte(in))); got != want {
			t.Errorf("JudgeMQTT(%q) = %s, want %s", in, got, want)
		}
	}
}

// A NATS 2.9.10 server's INFO (Debian 12), with and without authorization.
const (
	natsOpen   = `INFO {"server_id":"NDZ3","server_name":"NDZ3","version":"2.9.10","proto":1,"go":"go1.19.8","host":"0.0.0.0","port":4222,"headers":true,"max_payload":1048576,"client_id":5,"client_ip":"10.0.0.1"} ` + "\r\n"
	natsClosed = `INFO {"server_id":"NDZ3","server_name":"NDZ3","version":"2.9.10","proto":1,"go":"go1.19.8","host":"0.0.0.0","port":4223,"headers":true,"auth_required":true,"max_payload":1048576,"client_id":5} ` + "\r\n"
)

func TestJudgeNATS(t *testing.T) {
	for _, tc := range []struct{ info, answer, want string }{
		{natsOpen, "+OK\r\nPONG\r\n", "nats-no-auth/high"},
		{natsOpen, "-ERR 'Authorization Violation'\r\n", "n/a"},
		{natsOpen, "+OK\r\n", "n/a"}, // no PONG: not shown to work
		{natsClosed, "+OK\r\nPONG\r\n", "n/a"},
		{"INFO {}\r\n", "+OK\r\nPONG\r\n", "n/a"},
		{"+PONG\r\n", "+OK\r\nPONG\r\n", "n/a"},
	} {
		if got := judged(JudgeNATS([]byte(tc.info), []byte(tc.answer))); got != tc.want {
			t.Errorf("JudgeNATS(%.40q, %q) = %s, want %s", tc.info, tc.answer, got, tc.want)
		}
	}
	if !natsAnswered([]byte("+OK\r\nPONG\r\n")) || !natsAnswered([]byte("-ERR 'Authorization Violation'\r\n")) || natsAnswered([]byte("+OK\r\n")) {
		t.Error("natsAnswered")
	}
}

// rabbitStart is the payload of RabbitMQ 3.10's Connection.Start, cut to
// the fields the check reads.
func rabbitStart() []byte {
	table := []byte("\x07productS\x00\x00\x00\x08RabbitMQ\x07versionS\x00\x00\x00\x063.10.8")
	p := []byte{0, 10, 0, 10, 0, 9}
	p = binary.BigEndian.AppendUint32(p, uint32(len(table)))
	p = append(p, table...)
	p = binary.BigEndian.AppendUint32(p, 14)
	p = append(p, "AMQPLAIN PLAIN"...)
	p = binary.BigEndian.AppendUint32(p, 5)
	return append(p, "en_US"...)
}

func TestAMQP(t *testing.T) {
	if m, ok := startMechanisms(rabbitStart()); !ok || m != "AMQPLAIN PLAIN" {
		t.Errorf("startMechanisms = %q, %v", m, ok)
	}
	if _, ok := startMechanisms(rabbitStart()[:20]); ok {
		t.Error("startMechanisms of a cut frame")
	}
	tune := []byte{0, 10, 0, 30, 0, 0x7f, 0, 2, 0, 0, 0, 60}
	closeFrame := append([]byte{0, 10, 0, 50, 1, 0x93, 0x0e}, "ACCESS_REFUSED"...)
	for name, tc := range map[string]struct {
		typ  byte
		p    []byte
		want string
	}{
		"tune":    {1, tune, "amqp-guest-login/high"},
		"refused": {1, closeFrame, "n/a"},
		"header":  {3, tune, "n/a"},
		"short":   {1, tune[:3], "n/a"},
	} {
		if got := judged(JudgeAMQP("3.10.8", tc.typ, tc.p)); got != tc.want {
			t.Errorf("%s: %s, want %s", name, got, tc.want)
		}
	}
	// Start-Ok: PLAIN, "\0guest\0guest", framed and ended.
	so := StartOK("guest", "guest")
	if typ, p, err := amqpReadFrame(bytes.NewReader(so)); err != nil || typ != 1 ||
		!bytes.Contains(p, []byte("\x05PLAIN\x00\x00\x00\x0c\x00guest\x00guest\x05en_US")) {
		t.Errorf("StartOK = %q (%v)", so, err)
	}
	if _, _, err := amqpReadFrame(bytes.NewReader(so[:len(so)-1])); err == nil {
		t.Error("a frame without its end read")
	}
}

func FuzzJudges(f *testing.F) {
	f.Add([]byte(natsOpen))
	f.Add(rabbitStart())
	f.Fuzz(func(t *testing.T, b []byte) {
		JudgeMQTT(b)
		JudgeNATS(b, b)
		startMechanisms(b)
		JudgeAMQP("", 1, b)
		amqpReadFrame(bytes.NewReader(b))
	})
}

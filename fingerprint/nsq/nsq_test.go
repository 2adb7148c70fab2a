package nsq

import (
	"io"
	"net"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// Frames as the NSQ TCP protocol spec (nsq.io/clients/tcp_protocol_spec)
// lays them out: nsqd 1.2.1's answer to IDENTIFY with feature
// negotiation (size 0x10c, type 0, the JSON of its settings), and an
// error frame (type 1).
const (
	nsqd121 = "\x00\x00\x01\x0c\x00\x00\x00\x00" +
		`{"max_rdy_count":2500,"version":"1.2.1","max_msg_timeout":900000,"msg_timeout":60000,"tls_v1":false,` +
		`"deflate":false,"deflate_level":6,"max_deflate_level":6,"snappy":false,"sample_rate":0,` +
		`"auth_required":false,"output_buffer_size":16384,"output_buffer_timeout":250}`
	badBody = "\x00\x00\x002\x00\x00\x00\x01E_BAD_BODY IDENTIFY failed to decode JSON body"
)

var others = []string{
	"",
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\n\r\n",
	"\x15\x03\x01\x00\x02\x02\x50",
	nsqd121[:100],
	nsqd121 + "}",
	"\x00\x00\x00\x06\x00\x00\x00\x00OK",                         // OK, not the settings
	"\x00\x00\x00\x0b\x00\x00\x00\x00{\"ok\":true}",              // other JSON
	"\x00\x00\x00\x0c\x00\x00\x00\x01bad request",                // an error without a code
	"\x00\x00\x00\x0c\x00\x00\x00\x02" + "\x00\x00\x00\x00hello", // a message frame
	string(Request()),                                            // an echo
}

func TestParse(t *testing.T) {
	svc, err := Parse([]byte(nsqd121))
	if err != nil || svc.Product != "nsqd" || svc.Version != "1.2.1" || svc.ExtraInfo != "" ||
		svc.CPE[0] != "cpe:2.3:a:nsq:nsq:1.2.1:*:*:*:*:*:*:*" {
		t.Errorf("got %+v, %v", svc, err)
	}
	if svc, err = Parse([]byte(badBody)); err != nil || svc.ExtraInfo != "error: E_BAD_BODY IDENTIFY failed to decode JSON body" {
		t.Errorf("error frame: %+v, %v", svc, err)
	}
	fptest.NoMatch(t, "Parse", Parse, others...)
}

func FuzzParse(f *testing.F) {
	for _, s := range append([]string{nsqd121, badBody}, others...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
		frameDone(b)
	})
}

func server(c net.Conn) {
	if _, err := io.ReadFull(c, make([]byte, len(Request()))); err != nil {
		return
	}
	c.Write([]byte(nsqd121[:6]))
	c.Write([]byte(nsqd121[6:]))
	io.Copy(io.Discard, c)
}

func TestIdentifyLive(t *testing.T) {
	svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, server))
	if svc.Version != "1.2.1" {
		t.Errorf("got %+v", svc)
	}
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, fptest.Reply([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"), 8)))
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, func(c net.Conn) { io.Copy(c, c) }))
	fptest.MustNotMatch(t, plugin{}, fptest.Silent(t))
}

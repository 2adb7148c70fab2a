package rtsp

import (
	"bufio"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/record"
)

// Answers to "OPTIONS rtsp://host/ RTSP/1.0" as the servers write them.
const (
	live555 = "RTSP/1.0 200 OK\r\nCSeq: 1\r\nDate: Sat, Nov 21 2026 21:00:00 GMT\r\n" +
		"Public: OPTIONS, DESCRIBE, SETUP, TEARDOWN, PLAY, PAUSE, GET_PARAMETER, SET_PARAMETER\r\n\r\n"
	gstreamer = "RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: OPTIONS, DESCRIBE, ANNOUNCE, GET_PARAMETER, PAUSE, PLAY, RECORD, SETUP, SET_PARAMETER, TEARDOWN\r\n" +
		"Server: GStreamer RTSP server\r\nDate: Sat, 21 Nov 2026 21:00:00 GMT\r\n\r\n"
	camera401 = "RTSP/1.0 401 Unauthorized\r\nCSeq: 1\r\nWWW-Authenticate: Digest realm=\"IP Camera\", nonce=\"abc\"\r\n\r\n"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want *record.Service
	}{
		{strings.Replace(live555, "Date:", "Server: LIVE555 Streaming Media v2023.01.19\r\nDate:", 1), &record.Service{
			Name: "rtsp", Product: "LIVE555 Streaming Media", Version: "2023.01.19", Confidence: 10,
			CPE: []string{"cpe:2.3:a:live555:streaming_media:2023.01.19:*:*:*:*:*:*:*"}}},
		{live555, &record.Service{Name: "rtsp", Confidence: 10}},
		{gstreamer, &record.Service{Name: "rtsp", Product: "GStreamer RTSP server", Confidence: 10,
			CPE: []string{"cpe:2.3:a:gstreamer_project:gstreamer:*:*:*:*:*:*:*:*"}}},
		{"RTSP/1.0 200 OK\r\nServer: DSS/5.5.5 (Build/489.16; Platform/Linux; Release/Darwin; state/beta; )\r\nCseq: 1\r\n\r\n", &record.Service{
			Name: "rtsp", Product: "Darwin Streaming Server", Version: "5.5.5", Confidence: 10,
			CPE: []string{"cpe:2.3:a:apple:darwin_streaming_server:5.5.5:*:*:*:*:*:*:*"}}},
		{"RTSP/1.0 200 OK\nCSeq: 7\nServer: Wowza Streaming Engine 4.8.20+1 build20220919153025\n\n", &record.Service{
			Name: "rtsp", Product: "Wowza Streaming Engine", Version: "4.8.20+1", Confidence: 8,
			CPE: []string{"cpe:2.3:a:wowza:streaming_engine:4.8.20\\+1:*:*:*:*:*:*:*"}}},
		{"RTSP/1.0 200 OK\r\nCSeq: 1\r\nServer: Rtsp Server/3.0 (hi3516)\r\n\r\n", &record.Service{
			Name: "rtsp", Product: "Rtsp Server/3.0 (hi3516)", Confidence: 10}},
		{"RTSP/1.0 200 OK\r\nCSeq: 1\r\nServer: mysrv/1.2 (beta)\r\n\r\n", &record.Service{
			Name: "rtsp", Product: "mysrv", Version: "1.2", ExtraInfo: "beta", Confidence: 10}},
		{camera401, &record.Service{Name: "rtsp", ExtraInfo: "authentication required", Confidence: 10}},
		{"RTSP/2.0 200 OK\r\nCSeq: 1\r\n\r\n", &record.Service{Name: "rtsp", Confidence: 10}},
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
	for _, in := range []string{
		"",
		"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\n\r\n",
		"SIP/2.0 200 OK\r\nCSeq: 1 OPTIONS\r\n\r\n",
		"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
		"220 (vsFTPd 3.0.3)\r\n",
		"\x15\x03\x01\x00\x02\x02\x50",
		"RTSP/1.0 2000 OK\r\n",
		"RTSP/1.0\r\n",
		"RTSP/x.0 200 OK\r\n",
	} {
		if got, err := Parse([]byte(in)); !errors.Is(err, fingerprint.ErrNoMatch) {
			t.Errorf("Parse(%q) = %+v, %v; want ErrNoMatch", in, got, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{live555, gstreamer, camera401, "RTSP/1.0 200 OK\r\nServer: DSS/5.5.5 (x)\r\n\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
	})
}

func TestIdentifyLive(t *testing.T) {
	var line atomic.Value
	addr := fptest.Serve(t, func(c net.Conn) {
		r := bufio.NewReader(c)
		l, _ := r.ReadString('\n')
		line.Store(l)
		for {
			h, err := r.ReadString('\n')
			if err != nil || h == "\r\n" {
				break
			}
		}
		c.Write([]byte(gstreamer))
		c.Read(make([]byte, 1))
	})
	svc := fptest.MustMatch(t, plugin{}, addr)
	if svc.Product != "GStreamer RTSP server" || svc.Confidence != 10 || svc.Method != "probed" {
		t.Errorf("got %+v", svc)
	}
	if want := "OPTIONS rtsp://" + addr.String() + "/ RTSP/1.0\r\n"; line.Load() != want {
		t.Errorf("request line %q, want %q", line.Load(), want)
	}
	for _, other := range []string{
		"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\nContent-Length: 0\r\n\r\n",
		"SSH-2.0-OpenSSH_9.2p1\r\n",
	} {
		fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, fptest.Reply([]byte(other), 16)))
	}
	silent := fptest.Serve(t, func(c net.Conn) { c.Read(make([]byte, 1024)); time.Sleep(4 * time.Second) })
	fptest.MustNotMatch(t, plugin{}, silent)
}

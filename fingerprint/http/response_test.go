package http

import (
	"bytes"
	"compress/gzip"
	"errors"
	"strconv"
	"testing"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/fptest"
)

func gz(t testing.TB, s string) string {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

func TestParseResponse(t *testing.T) {
	tests := []struct {
		name                      string
		in                        string
		status                    int
		body                      string
		headDone, complete, close bool
	}{
		{"content-length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 200, "hello", true, true, false},
		{"content-length cut", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello", 200, "hello", true, false, false},
		{"content-length extra", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhello", 200, "he", true, true, false},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n", 200, "hello world", true, true, false},
		{"chunked trailer", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\nX-T: 1\r\n\r\n", 200, "hi", true, true, false},
		{"chunked cut", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n800\r\nabc", 200, "abc", true, false, false},
		{"chunked bad size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc", 200, "", true, false, false},
		{"until close", "HTTP/1.1 200 OK\r\nServer: x\r\n\r\nbody", 200, "body", true, false, true},
		{"http/1.0", "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n", 404, "", true, true, true},
		{"http/1.0 keep-alive", "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n", 200, "", true, true, false},
		{"connection close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx", 200, "x", true, true, true},
		{"no body 204", "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", 204, "", true, true, false},
		{"no body 304", "HTTP/1.1 304 Not Modified\r\n\r\n", 304, "", true, true, false},
		{"interim skipped", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 200, "ok", true, true, false},
		{"interim only", "HTTP/1.1 100 Continue\r\n\r\n", 100, "", true, false, false},
		{"bare LF", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", 200, "ok", true, true, false},
		{"head cut", "HTTP/1.1 301 Moved\r\nLocation: /x\r\n", 301, "", false, false, true},
		{"status line only", "HTTP/1.1 200 OK", 200, "", false, false, true},
		{"no reason", "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", 200, "", true, true, false},
		{"bad lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabcd", 200, "abcd", true, false, true},
		{"gzip", "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + strconv.Itoa(len(gz(t, "# HELP x\n"))) + "\r\n\r\n" + gz(t, "# HELP x\n"), 200, "# HELP x\n", true, true, false},
		{"gzip not gzip", "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabc", 200, "abc", true, true, false},
	}
	for _, tt := range tests {
		r, err := ParseResponse([]byte(tt.in))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if r.Status != tt.status || string(r.Body) != tt.body || r.HeadDone != tt.headDone || r.Complete != tt.complete || r.Close != tt.close {
			t.Errorf("%s: got status %d body %q head %v complete %v close %v; want %d %q %v %v %v", tt.name,
				r.Status, r.Body, r.HeadDone, r.Complete, r.Close, tt.status, tt.body, tt.headDone, tt.complete, tt.close)
		}
	}
}

func TestParseResponseHeader(t *testing.T) {
	r, err := ParseResponse([]byte("HTTP/1.1 200 OK\r\nServer: a\r\n b\r\nbad line\r\nX-Dup: 1\r\nx-dup: 2\r\nSet Cookie: no\r\n\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Header.Get("server"); got != "a b" {
		t.Errorf("folded Server = %q", got)
	}
	if got := r.Header.Values("X-DUP"); len(got) != 2 || got[0] != "1" || got[1] != "2" {
		t.Errorf("Values = %q", got)
	}
	if r.Header.Has("Set Cookie") || r.Header.Has("bad line") || r.Reason != "OK" || r.Proto != "HTTP/1.1" {
		t.Errorf("header %+v reason %q proto %q", r.Header, r.Reason, r.Proto)
	}
}

func TestParseResponseNoMatch(t *testing.T) {
	for _, in := range []string{
		"",
		"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
		"220 (vsFTPd 3.0.3)\r\n",
		"RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n",
		"SIP/2.0 200 OK\r\n\r\n",
		"-ERR unknown command 'GET'\r\n",
		"\x15\x03\x01\x00\x02\x02\x50",
		"HTTP/",
		"HTTP/1.1 abc OK\r\n",
		"HTTP/1.1 099 x\r\n",
		"HTTP/x.y 200 OK\r\n",
		"HTTP/1.1 2000 OK\r\n",
		"HTTP/1.1200 OK\r\n",
		"<html>hello</html>",
	} {
		if r, err := ParseResponse([]byte(in)); !errors.Is(err, fingerprint.ErrNoMatch) {
			t.Errorf("ParseResponse(%q) = %+v, %v; want ErrNoMatch", in, r, err)
		}
	}
}

func TestUntilResponse(t *testing.T) {
	done := untilResponse(8)
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{"HTT", false},
		{"HTTP/1.1 200 OK", false},
		{"HTTP/1.1 200 OK\r\nServer: x\r\n", false},
		{"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nab", false},
		{"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc", true},
		{"HTTP/1.1 200 OK\r\nContent-Length: 30\r\n\r\n0123456789", true}, // bodyMax
		{"HTTP/1.1 200 OK\r\n\r\nabc", false},                             // until close
		{"SSH-2.0-x\r\n", true},
		{"\x15\x03", true},
		{"HTTP/1.1 abc\r\n", true},
	} {
		if got := done([]byte(tt.in)); got != tt.want {
			t.Errorf("untilResponse(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func FuzzParseResponse(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"))
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n\x1f\x8b\x08\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := fptest.CheckParse(t, "ParseResponse", ParseResponse, b)
		if r != nil && (r.Status < 100 || r.Status > 999 || len(r.Header) > maxFields || len(r.Body) > max(len(b), unzipMax)) {
			t.Fatalf("ParseResponse: %+v", r)
		}
		untilResponse(16)(b)
	})
}

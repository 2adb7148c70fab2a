package kafka

import (
	"encoding/binary"
	"io"
	"net"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/record"
)

// answer frames an ApiVersions v0 answer.
func answer(corr uint32, code int16, ranges []APIRange, trailer ...byte) string {
	b := binary.BigEndian.AppendUint32(make([]byte, 4), corr)
	b = binary.BigEndian.AppendUint16(b, uint16(code))
	b = binary.BigEndian.AppendUint32(b, uint32(len(ranges)))
	for _, r := range ranges {
		b = binary.BigEndian.AppendUint16(b, uint16(r.Key))
		b = binary.BigEndian.AppendUint16(b, uint16(r.Min))
		b = binary.BigEndian.AppendUint16(b, uint16(r.Max))
	}
	b = append(b, trailer...)
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	return string(b)
}

// kafka34 are the first API keys of a Kafka 3.4 broker.
var kafka34 = []APIRange{
	{0, 0, 9}, {1, 0, 13}, {2, 0, 7}, {3, 0, 12}, {4, 0, 7}, {5, 0, 4}, {6, 0, 8}, {7, 0, 3},
	{8, 0, 8}, {9, 0, 8}, {10, 0, 4}, {11, 0, 9}, {12, 0, 4}, {13, 0, 5}, {14, 0, 5}, {15, 0, 5},
	{16, 0, 4}, {17, 0, 1}, {18, 0, 3}, {19, 0, 7}, {20, 0, 6},
}

// The literal bytes of a small answer: ApiVersions 0-3 and Produce 0-9.
const small = "\x00\x00\x00\x16\x61\x6a\x61\x72\x00\x00\x00\x00\x00\x02\x00\x12\x00\x00\x00\x03\x00\x00\x00\x00\x00\x09"

var others = []string{
	"",
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\n\r\n",
	"220 mail.example.org ESMTP Exim 4.96\r\n",
	"-ERR unknown command\r\n",
	"\x15\x03\x01\x00\x02\x02\x50",
	small[:20],
	answer(1234, 0, kafka34),                           // another correlation id
	answer(correlationID, 0, nil),                      // no keys
	answer(correlationID, 42, kafka34),                 // another error
	answer(correlationID, 0, []APIRange{{0, 0, 9}}),    // no ApiVersions key
	answer(correlationID, 0, []APIRange{{18, 3, 1}}),   // min above max
	answer(correlationID, 0, []APIRange{{-5, 0, 1}}),   // negative key
	"\x00\x00\x00\x0a\x61\x6a\x61\x72\x00\x00\x7f\xff", // count past the end
}

func TestParse(t *testing.T) {
	tests := []struct {
		in, extra string
	}{
		{small, "2 API keys, ApiVersions v0-3, Produce v0-9"},
		{answer(correlationID, 0, kafka34), "21 API keys, Produce v0-9, Fetch v0-13, ApiVersions v0-3"},
		{answer(correlationID, 0, kafka34, 0, 0, 0, 0), "21 API keys, Produce v0-9, Fetch v0-13, ApiVersions v0-3"},
		{answer(correlationID, errUnsupportedVersion, []APIRange{{18, 0, 3}}), "ApiVersions v0 unsupported; 1 API keys, ApiVersions v0-3"},
	}
	for _, tt := range tests {
		got, err := Parse([]byte(tt.in))
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		want := &record.Service{Name: "kafka", ExtraInfo: tt.extra, Confidence: 10}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, diff)
		}
		if !answerDone([]byte(tt.in)) || answerDone([]byte(tt.in[:len(tt.in)-1])) {
			t.Errorf("answerDone(%q) does not see where the answer ends", tt.in)
		}
	}
	fptest.NoMatch(t, "Parse", Parse, others...)
}

func TestRequest(t *testing.T) {
	want := "\x00\x00\x00\x0e\x00\x12\x00\x00\x61\x6a\x61\x72\x00\x04ajar"
	if got := Request(); string(got) != want {
		t.Errorf("Request() = %q, want %q", got, want)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(small))
	f.Add([]byte(answer(correlationID, 0, kafka34)))
	for _, o := range others {
		f.Add([]byte(o))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
		answerDone(b)
	})
}

// broker plays a Kafka broker: it reads one size-prefixed request and,
// for ApiVersions, answers with its correlation id.
func broker(c net.Conn) {
	var size [4]byte
	if _, err := io.ReadFull(c, size[:]); err != nil {
		return
	}
	n := binary.BigEndian.Uint32(size[:])
	if n < 8 || n > 1<<16 {
		return
	}
	req := make([]byte, n)
	if _, err := io.ReadFull(c, req); err != nil || binary.BigEndian.Uint16(req) != apiVersionsKey {
		return
	}
	out := answer(binary.BigEndian.Uint32(req[4:]), 0, kafka34)
	c.Write([]byte(out[:7]))
	c.Write([]byte(out[7:]))
	io.Copy(io.Discard, c)
}

func TestIdentifyLive(t *testing.T) {
	svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, broker))
	if svc.Name != "kafka" || svc.Confidence != 10 || svc.ExtraInfo == "" {
		t.Errorf("got %+v", svc)
	}
	http := fptest.Serve(t, fptest.Reply([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"), 8))
	fptest.MustNotMatch(t, plugin{}, http)
	silent := fptest.Silent(t)
	fptest.MustNotMatch(t, plugin{}, silent)
}

package rtmp

import (
	"bytes"
	"io"
	"net"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/record"
)

// c1rand is the C1 random part of the capture below: byte i is i*7+3.
func c1rand() []byte {
	b := make([]byte, chunk-8)
	for i := range b {
		b[i] = byte(i*7 + 3)
	}
	return b
}

// nginxAnswer is what nginx 1.22.1 with libnginx-mod-rtmp 1.2.2 (Debian
// 12) answered to Hello(c1rand()): S0 3, then S1 and S2 both equal to our
// C1 (time 0, zero 0, our random bytes), 3073 bytes in all.
func nginxAnswer() []byte {
	c1 := Hello(c1rand())[1:]
	return bytes.Join([][]byte{{3}, c1, c1}, nil)
}

// parse judges b as the answer to Hello(c1rand()).
func parse(b []byte) (*record.Service, error) { return Parse(Hello(c1rand())[1:], b) }

func TestParse(t *testing.T) {
	if svc := fptest.CheckParse(t, "Parse", parse, nginxAnswer()); svc == nil || svc.Name != "rtmp" {
		t.Errorf("got %+v", svc)
	}
	wrongS2 := nginxAnswer()
	wrongS2[len(wrongS2)-1]++
	version6 := nginxAnswer()
	version6[0] = 6
	fptest.NoMatch(t, "Parse", parse, "", string(Hello(c1rand())), string(nginxAnswer()[:chunk*2]),
		string(wrongS2), string(version6), string(append(nginxAnswer(), 0)))
}

func FuzzParse(f *testing.F) {
	f.Add(nginxAnswer())
	f.Add(Hello(c1rand()))
	f.Fuzz(func(t *testing.T, b []byte) { fptest.CheckParse(t, "Parse", parse, b) })
}

// server plays nginx-rtmp: S0, then C1 twice.
func server(c net.Conn) {
	c1 := make([]byte, 1+chunk)
	if _, err := io.ReadFull(c, c1); err != nil {
		return
	}
	c.Write([]byte{3})
	c.Write(c1[1:])
	c.Write(c1[1:])
	io.Copy(io.Discard, c)
}

func TestIdentifyLive(t *testing.T) {
	fptest.MustMatch(t, plugin{}, fptest.Serve(t, server))
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, func(c net.Conn) { io.Copy(c, c) }))
	fptest.MustNotMatch(t, plugin{}, fptest.HangUp(t))
}

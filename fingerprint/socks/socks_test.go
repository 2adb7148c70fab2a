package socks

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/record"
)

// Other protocols' typical first answers, none of which is SOCKS.
var others = map[string][]byte{
	"empty":     nil,
	"http":      []byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"),
	"ssh":       []byte("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"),
	"tls alert": {0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x28},
	"ftp":       []byte("220 (vsFTPd 3.0.3)\r\n"),
	"redis":     []byte("-ERR unknown command\r\n"),
}

func TestParseMethodReply(t *testing.T) {
	tests := map[string]string{
		"\x05\x00": "no authentication", // dante 1.4.2, "socksmethod: none"
		"\x05\x02": "username/password authentication",
		"\x05\xff": "no acceptable authentication method",
	}
	for in, info := range tests {
		got, err := ParseMethodReply([]byte(in))
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		want := &record.Service{Name: "socks5", ExtraInfo: info, Confidence: 9}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", in, diff)
		}
	}
	bad := map[string][]byte{
		"echo":    Greeting5,
		"socks4":  {0x00, 0x5b, 0x2b, 0x48, 0x7f, 0, 0, 1},
		"v4 byte": {0x04, 0x00},
		"method":  {0x05, 0x80},
		"long":    {0x05, 0x00, 0x00},
	}
	for name, in := range others {
		bad[name] = in
	}
	for name, in := range bad {
		if got, err := ParseMethodReply(in); !errors.Is(err, fingerprint.ErrNoMatch) {
			t.Errorf("%s: ParseMethodReply = %+v, %v; want ErrNoMatch", name, got, err)
		}
	}
}

func TestParseReply4(t *testing.T) {
	// dante 1.4.2 rejecting a CONNECT to 127.0.0.1:11080.
	got, err := ParseReply4([]byte{0x00, 0x5b, 0x2b, 0x48, 0x7f, 0x00, 0x00, 0x01})
	want := &record.Service{Name: "socks4", ExtraInfo: "CONNECT to itself: request rejected or failed", Confidence: 9}
	if err != nil || !cmp.Equal(want, got) {
		t.Errorf("ParseReply4 = %+v, %v", got, err)
	}
	if got, err := ParseReply4([]byte{0, 0x5a, 0, 0, 0, 0, 0, 0}); err != nil || got.ExtraInfo != "CONNECT to itself: request granted" {
		t.Errorf("granted: %+v, %v", got, err)
	}
	bad := map[string][]byte{
		"echo":    Connect4(1080),
		"socks5":  {0x05, 0x00},
		"status":  {0, 0x5e, 0, 0, 0, 0, 0, 0},
		"version": {4, 0x5a, 0, 0, 0, 0, 0, 0},
		"long":    {0, 0x5a, 0, 0, 0, 0, 0, 0, 0},
	}
	for name, in := range others {
		bad[name] = in
	}
	for name, in := range bad {
		if got, err := ParseReply4(in); !errors.Is(err, fingerprint.ErrNoMatch) {
			t.Errorf("%s: ParseReply4 = %+v, %v; want ErrNoMatch", name, got, err)
		}
	}
}

func TestConnect4(t *testing.T) {
	want := []byte{4, 1, 0x04, 0x38, 127, 0, 0, 1, 'a', 'j', 'a', 'r', 0}
	if got := Connect4(1080); !bytes.Equal(got, want) {
		t.Errorf("Connect4(1080) = %x, want %x", got, want)
	}
}

func FuzzParseMethodReply(f *testing.F) {
	f.Add([]byte{5, 0})
	f.Add([]byte{5, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "ParseMethodReply", ParseMethodReply, b)
	})
}

func FuzzParseReply4(f *testing.F) {
	f.Add([]byte{0x00, 0x5b, 0x2b, 0x48, 0x7f, 0x00, 0x00, 0x01})
	f.Add([]byte{0x00, 0x5a, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "ParseReply4", ParseReply4, b)
	})
}

// serveSOCKS plays a SOCKS4 and SOCKS5 proxy that never connects
// anywhere: it grants no-authentication SOCKS5 and rejects every SOCKS4
// request, checking that the destination is its own port on 127.0.0.1.
func serveSOCKS(t *testing.T) func(net.Conn) {
	return func(c net.Conn) {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 64)
		n, err := c.Read(buf)
		if err != nil || n < 2 {
			return
		}
		switch buf[0] {
		case 5:
			c.Write([]byte{5, 0})
		case 4:
			own := uint16(c.LocalAddr().(*net.TCPAddr).Port)
			if n < 9 || binary.BigEndian.Uint16(buf[2:]) != own || !bytes.Equal(buf[4:8], []byte{127, 0, 0, 1}) {
				t.Errorf("SOCKS4 request %x is not to the proxy itself (port %d)", buf[:n], own)
				return
			}
			reply := append([]byte{0, 0x5b}, buf[2:8]...)
			c.Write(reply)
		}
		c.Read(buf)
	}
}

func TestIdentifyLive(t *testing.T) {
	proxy := fptest.Serve(t, serveSOCKS(t))
	if svc := fptest.MustMatch(t, socks5{}, proxy); svc.Name != "socks5" || svc.ExtraInfo != "no authentication" {
		t.Errorf("socks5: got %+v", svc)
	}
	if svc := fptest.MustMatch(t, socks4{}, proxy); svc.Name != "socks4" || svc.ExtraInfo != "CONNECT to itself: request rejected or failed" {
		t.Errorf("socks4: got %+v", svc)
	}
	// A SOCKS5-only proxy closes on a SOCKS4 request.
	only5 := fptest.Serve(t, func(c net.Conn) {
		buf := make([]byte, 64)
		if n, _ := c.Read(buf); n > 0 && buf[0] == 5 {
			c.Write([]byte{5, 0xff})
		}
	})
	if svc := fptest.MustMatch(t, socks5{}, only5); svc.ExtraInfo != "no acceptable authentication method" {
		t.Errorf("socks5 only: got %+v", svc)
	}
	fptest.MustNotMatch(t, socks4{}, only5)
	echo := fptest.Serve(t, func(c net.Conn) {
		buf := make([]byte, 64)
		n, _ := c.Read(buf)
		c.Write(buf[:n])
		c.Read(buf)
	})
	fptest.MustNotMatch(t, socks5{}, echo)
	fptest.MustNotMatch(t, socks4{}, echo)
	http := fptest.Serve(t, fptest.Reply([]byte("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"), 1))
	fptest.MustNotMatch(t, socks5{}, http)
	fptest.MustNotMatch(t, socks4{}, http)
}

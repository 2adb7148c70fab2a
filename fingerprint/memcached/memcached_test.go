package memcached

import (
	"bytes"
	"errors"
	"net"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/record"
)

// others are typical first answers of other protocols.
var others = []string{
	"",
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\n\r\n",
	"220 mail.example.org ESMTP Exim 4.96\r\n",
	"+OK Dovecot (Debian) ready.\r\n",
	"-ERR unknown command 'version', with args beginning with: \r\n",
	"ERROR\r\n",
	"\x15\x03\x01\x00\x02\x02\x50",
	"VERSION \r\n",
	"VERSION 1.6.18", // no line end
	"VERSION x.y\r\n",
}

func TestParse(t *testing.T) {
	cpe := func(v string) []string { return []string{fingerprint.CPE("memcached", "memcached", v)} }
	tests := []struct {
		in   string
		want *record.Service
	}{
		{"VERSION 1.6.18\r\n", &record.Service{Name: "memcached", Product: "Memcached", Version: "1.6.18",
			Confidence: 10, CPE: cpe("1.6.18")}},
		{"VERSION 1.4.25-debian\r\n", &record.Service{Name: "memcached", Product: "Memcached", Version: "1.4.25-debian",
			Confidence: 10, CPE: cpe("1.4.25-debian")}},
		{"CLIENT_ERROR unauthenticated\r\n", &record.Service{Name: "memcached", Product: "Memcached",
			ExtraInfo: "authentication required", Confidence: 7, CPE: cpe("")}},
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
	fptest.NoMatch(t, "Parse", Parse, others...)
}

func TestParseUDP(t *testing.T) {
	// The answer of memcached 1.6.18 (Debian 12) to UDPRequest.
	good := "\x61\x6a\x00\x00\x00\x01\x00\x00VERSION 1.6.18\r\n"
	svc, err := ParseUDP([]byte(good))
	if err != nil || svc.Version != "1.6.18" || svc.Product != "Memcached" {
		t.Errorf("ParseUDP(%q) = %+v, %v", good, svc, err)
	}
	bad := []string{
		"VERSION 1.6.18\r\n", // no frame header
		"\x00\x01\x00\x00\x00\x01\x00\x00VERSION 1.6.18\r\n", // another request id
		"\x61\x6a\x00\x01\x00\x02\x00\x00VERSION 1.6.18\r\n", // not the first datagram
		"\x61\x6a\x00\x00\x00\x01\x00\x00ERROR\r\n",
		"\x61\x6a\x00\x00\x00",
	}
	for _, o := range others {
		bad = append(bad, "\x61\x6a\x00\x00\x00\x01\x00\x00"+o)
	}
	for _, in := range bad {
		if got, err := ParseUDP([]byte(in)); !errors.Is(err, fingerprint.ErrNoMatch) {
			t.Errorf("ParseUDP(%q) = %+v, %v; want ErrNoMatch", in, got, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("VERSION 1.6.18\r\n"))
	f.Add([]byte("CLIENT_ERROR unauthenticated\r\n"))
	f.Add([]byte("\x61\x6a\x00\x00\x00\x01\x00\x00VERSION 1.6.18\r\n"))
	for _, o := range others {
		f.Add([]byte(o))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, parse := range []func([]byte) (*record.Service, error){Parse, ParseUDP} {
			fptest.CheckParse(t, "parse", parse, b)
		}
	})
}

func TestIdentifyLive(t *testing.T) {
	// A memcached answers each line; "version" in two pieces.
	mc := fptest.Serve(t, func(c net.Conn) {
		buf := make([]byte, 64)
		n, _ := c.Read(buf)
		if string(buf[:n]) != versionCmd {
			c.Write([]byte("ERROR\r\n"))
			return
		}
		c.Write([]byte("VERSION 1."))
		c.Write([]byte("6.18\r\n"))
		c.Read(buf)
	})
	svc := fptest.MustMatch(t, plugin{}, mc)
	if svc.Product != "Memcached" || svc.Version != "1.6.18" || svc.Confidence != 10 {
		t.Errorf("got %+v", svc)
	}
	redis := fptest.Serve(t, fptest.Reply([]byte("-ERR unknown command 'version'\r\n"), 9))
	fptest.MustNotMatch(t, plugin{}, redis)
	silent := fptest.Serve(t, func(c net.Conn) { c.Read(make([]byte, 100)) })
	fptest.MustNotMatch(t, plugin{}, silent)
}

func TestIdentifyUDPLive(t *testing.T) {
	mc := fptest.ServeUDP(t, func(req []byte) []byte {
		if len(req) < 8 || string(req[8:]) != versionCmd {
			return nil
		}
		return append(append([]byte{}, req[:2]...), "\x00\x00\x00\x01\x00\x00VERSION 1.6.18\r\n"...)
	})
	svc := fptest.MustMatch(t, udpPlugin{}, mc)
	if svc.Product != "Memcached" || svc.Version != "1.6.18" {
		t.Errorf("got %+v", svc)
	}
	// A DNS-like server that echoes junk, and one that never answers.
	echo := fptest.ServeUDP(t, func(req []byte) []byte { return bytes.Repeat([]byte{0xff}, 20) })
	fptest.MustNotMatch(t, udpPlugin{}, echo)
	silent := fptest.ServeUDP(t, func([]byte) []byte { return nil })
	fptest.MustNotMatch(t, udpPlugin{}, silent)
}

package sip

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

// kamailioUDP is Kamailio 5.6.3's (Debian 12, default configuration)
// answer to an OPTIONS for its own address.
const kamailioUDP = "SIP/2.0 200 Keepalive\r\n" +
	"Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-ajar-1;rport=56463;received=127.0.0.1\r\n" +
	"From: <sip:ajar@127.0.0.1>;tag=abc123\r\n" +
	"To: <sip:127.0.0.1:5060>;tag=a45363010201c12697c26728a1ea42a4.894280b8\r\n" +
	"Call-ID: 1234567@ajar\r\nCSeq: 1 OPTIONS\r\nServer: kamailio (5.6.3 (x86_64/linux))\r\nContent-Length: 0\r\n\r\n"

func kamailio() *record.Service {
	return &record.Service{Name: "sip", Product: "Kamailio", Version: "5.6.3", ExtraInfo: "x86_64/linux", Confidence: 10,
		CPE: []string{"cpe:2.3:a:kamailio:kamailio:5.6.3:*:*:*:*:*:*:*"}}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want *record.Service
	}{
		{kamailioUDP, kamailio()},
		{strings.Replace(kamailioUDP, "200 Keepalive", "404 Not Found", 1), kamailio()},
		{"SIP/2.0 200 OK\r\nv: SIP/2.0/UDP x\r\nCSeq: 1 OPTIONS\r\nServer: OpenSIPS (3.1.2 (x86_64/linux))\r\nl: 0\r\n\r\n",
			&record.Service{Name: "sip", Product: "OpenSIPS", Version: "3.1.2", ExtraInfo: "x86_64/linux", Confidence: 10,
				CPE: []string{"cpe:2.3:a:opensips:opensips:3.1.2:*:*:*:*:*:*:*"}}},
		{"SIP/2.0 200 OK\r\nCSeq: 1 OPTIONS\r\nServer: Asterisk PBX 18.10.0~dfsg+~cs6.10.40431411-1\r\n\r\n",
			&record.Service{Name: "sip", Product: "Asterisk", Version: "18.10.0", Confidence: 10,
				CPE: []string{"cpe:2.3:a:digium:asterisk:18.10.0:*:*:*:*:*:*:*"}}},
		{"SIP/2.0 200 OK\r\nCSeq: 1 OPTIONS\r\nServer: FPBX-16.0.33(18.20.0)\r\n\r\n",
			&record.Service{Name: "sip", Product: "Asterisk", Version: "18.20.0", ExtraInfo: "FreePBX 16.0.33", Confidence: 10,
				CPE: []string{"cpe:2.3:a:digium:asterisk:18.20.0:*:*:*:*:*:*:*"}}},
		{"SIP/2.0 200 OK\r\nCSeq: 1 OPTIONS\r\nUser-Agent: FreeSWITCH-mod_sofia/1.10.9-release~64bit\r\n\r\n",
			&record.Service{Name: "sip", Product: "FreeSWITCH", Version: "1.10.9", Confidence: 10,
				CPE: []string{"cpe:2.3:a:freeswitch:freeswitch:1.10.9:*:*:*:*:*:*:*"}}},
		{"SIP/2.0 200 OK\r\nCSeq: 1 OPTIONS\r\nUser-Agent: Linksys/SPA942-6.1.5a\r\n\r\n",
			&record.Service{Name: "sip", Product: "Linksys", Version: "SPA942-6.1.5a", Confidence: 10}},
		{"SIP/2.0 403 Forbidden\nCSeq: 2 REGISTER\n\n", &record.Service{Name: "sip", Confidence: 8}},
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
		"RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n",
		"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
		"OPTIONS sip:x SIP/2.0\r\n\r\n",
		"SIP/2.0 20 OK\r\n",
		"SIP/2.0 099 x\r\n",
		"SIP/3.0 200 OK\r\n",
		"\x15\x03\x01\x00\x02\x02\x50",
	} {
		if got, err := Parse([]byte(in)); !errors.Is(err, fingerprint.ErrNoMatch) {
			t.Errorf("Parse(%q) = %+v, %v; want ErrNoMatch", in, got, err)
		}
	}
}

func TestRequest(t *testing.T) {
	req := string(Request("[::1]:5060", "UDP", "ABCDEFGHIJKLMNOPQRST"))
	for _, want := range []string{
		"OPTIONS sip:[::1]:5060 SIP/2.0\r\n",
		"\r\nVia: SIP/2.0/UDP ajar.invalid;branch=z9hG4bKABCDEFGHIJKLMNOPQRST;rport\r\n",
		"\r\nFrom: <sip:ajar@ajar.invalid>;tag=ABCDEFGH\r\n",
		"\r\nTo: <sip:[::1]:5060>\r\n",
		"\r\nCall-ID: ABCDEFGHIJKLMNOPQRST@ajar.invalid\r\n",
		"\r\nCSeq: 1 OPTIONS\r\n",
		"\r\nMax-Forwards: 70\r\n",
		"\r\nContent-Length: 0\r\n\r\n",
	} {
		if !strings.Contains(req, want) {
			t.Errorf("request lacks %q:\n%s", want, req)
		}
	}
}

func TestUntilFinal(t *testing.T) {
	for in, want := range map[string]bool{
		"SIP/2.0 200 OK\r\n":                                  false,
		"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n":         true,
		"SIP/2.0 200 OK\r\nl: 4\r\n\r\nab":                    false,
		"SIP/2.0 200 OK\r\nl: 4\r\n\r\nabcd":                  true,
		"SIP/2.0 200 OK\r\n\r\n":                              true,
		"SIP/2.0 100 Trying\r\n\r\n":                          false,
		"SIP/2.0 100 Trying\r\n\r\nSIP/2.0 200 OK\r\n":        false,
		"SIP/2.0 100 Trying\r\n\r\nSIP/2.0 200 OK\r\n\r\n":    true,
		"SIP/2.0 100 Trying\r\n\r\nHTTP/1.1":                  true,
		"HTTP/1.1 200 OK\r\n":                                 true,
		"SI":                                                  false,
		"SIP/2.0 xyz\r\n\r\n":                                 true,
		"SIP/2.0 200 OK\r\nContent-Length: x\r\n\r\n":         true,
		"SIP/2.0 200 OK\r\nContent-Length: 99999999\r\n\r\n1": false,
	} {
		if got := untilFinal([]byte(in)); got != want {
			t.Errorf("untilFinal(%q) = %v, want %v", in, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(kamailioUDP))
	f.Add([]byte("SIP/2.0 200 OK\r\nServer: FPBX-16.0.33(18.20.0)\r\n\r\n"))
	f.Add([]byte("SIP/2.0 200 OK\r\nServer: kamailio (\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
		untilFinal(b)
		answerOf(b, nil)
	})
}

// answer plays a SIP server: it answers an OPTIONS with Kamailio's
// answer, echoing the request's Via, From, Call-ID and CSeq as RFC 3261
// says; anything else gets nothing.
func answer(req []byte) []byte {
	if !bytes.HasPrefix(req, []byte("OPTIONS sip:")) {
		return nil
	}
	var echo []string
	for _, line := range strings.Split(string(req), "\r\n") {
		name, _, _ := strings.Cut(line, ":")
		switch name {
		case "Via", "From", "Call-ID", "CSeq":
			echo = append(echo, line)
		case "To":
			echo = append(echo, line+";tag=1")
		}
	}
	return []byte("SIP/2.0 200 Keepalive\r\n" + strings.Join(echo, "\r\n") +
		"\r\nServer: kamailio (5.6.3 (x86_64/linux))\r\nContent-Length: 0\r\n\r\n")
}

const trying = "SIP/2.0 100 Trying\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"

// serveUDPTwice answers each datagram with a 100 Trying and then, unless
// trying is all it says, the final answer.
func serveUDPTwice(t *testing.T, tryingOnly bool) netip.AddrPort {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 65536)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo([]byte(trying), from)
			if !tryingOnly {
				pc.WriteTo(answer(buf[:n]), from)
			}
		}
	}()
	t.Cleanup(func() { pc.Close(); <-done })
	return pc.LocalAddr().(*net.UDPAddr).AddrPort()
}

func TestIdentifyUDP(t *testing.T) {
	udp := plugin{proto: portspec.UDP}
	svc := fptest.MustMatch(t, udp, fptest.ServeUDP(t, answer))
	if diff := cmp.Diff(kamailio(), svc, ignoreCore); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// A provisional answer is skipped for the final one, and stands
	// alone when no final one comes.
	svc = fptest.MustMatch(t, udp, serveUDPTwice(t, false))
	if diff := cmp.Diff(kamailio(), svc, ignoreCore); diff != "" {
		t.Errorf("after 100 Trying (-want +got):\n%s", diff)
	}
	if svc := fptest.MustMatch(t, udp, serveUDPTwice(t, true)); svc.Name != "sip" || svc.Product != "" {
		t.Errorf("100 Trying only: %+v", svc)
	}
	dns := fptest.ServeUDP(t, func(req []byte) []byte { return []byte{0x12, 0x34, 0x81, 0x80, 0, 0, 0, 0, 0, 0, 0, 0} })
	fptest.MustNotMatch(t, udp, dns)
	silent := fptest.ServeUDP(t, func([]byte) []byte { return nil })
	fptest.MustNotMatch(t, udp, silent)
}

func TestIdentifyTCP(t *testing.T) {
	tcp := plugin{proto: portspec.TCP}
	addr := fptest.Serve(t, func(c net.Conn) {
		r := bufio.NewReader(c)
		var req bytes.Buffer
		for {
			line, err := r.ReadString('\n')
			req.WriteString(line)
			if err != nil || line == "\r\n" {
				break
			}
		}
		c.Write([]byte(trying))
		c.Write(answer(req.Bytes()))
		c.Read(make([]byte, 1))
	})
	svc := fptest.MustMatch(t, tcp, addr)
	if diff := cmp.Diff(kamailio(), svc, ignoreCore); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, other := range []string{
		"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n",
		"SSH-2.0-OpenSSH_9.2p1\r\n",
	} {
		fptest.MustNotMatch(t, tcp, fptest.Serve(t, fptest.Reply([]byte(other), 16)))
	}
	silent := fptest.Serve(t, func(c net.Conn) { c.Read(make([]byte, 1024)); time.Sleep(4 * time.Second) })
	fptest.MustNotMatch(t, tcp, silent)
}

// ignoreCore leaves out what the core fills in.
var ignoreCore = cmp.FilterPath(func(p cmp.Path) bool {
	switch p.Last().String() {
	case ".Method", ".Banner":
		return true
	}
	return false
}, cmp.Ignore())

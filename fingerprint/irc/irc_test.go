package irc

import (
	"bufio"
	"net"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/record"
)

// ngircd 26.1 (Debian 12) welcoming a client, captured; NICK is the
// client's nickname.
const ngircd = ":irc.example.net 001 NICK :Welcome to the Internet Relay Network NICK!~ajar@127.0.0.1\r\n" +
	":irc.example.net 002 NICK :Your host is irc.example.net, running version ngircd-26.1 (x86_64/pc/linux-gnu)\r\n" +
	":irc.example.net 003 NICK :This server has been started Sat Nov 21 2026 at 20:57:27 (UTC)\r\n" +
	":irc.example.net 004 NICK irc.example.net ngircd-26.1 abBcCFiIoqrRswx abehiIklmMnoOPqQrRstvVz\r\n" +
	":irc.example.net 005 NICK RFC2812 IRCD=ngIRCd CHARSET=UTF-8 CASEMAPPING=ascii PREFIX=(qaohv)~&@%+ CHANTYPES=#&+ CHANMODES=beI,k,l,imMnOPQRstVz CHANLIMIT=#&+:10 :are supported on this server\r\n"

// others are what servers of other protocols answer a client's first
// line with, or say first.
var others = []string{
	"",
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\n\r\n",
	"\x15\x03\x03\x00\x02\x02\x46",
	"220 (vsFTPd 3.0.3)\r\n530 Please login with USER and PASS.\r\n",
	"220 vm ESMTP Exim 4.96\r\n500 unrecognized command\r\n",
	"+OK Dovecot (Debian) ready.\r\n-ERR Unknown command.\r\n",
	"-ERR unknown command 'NICK', with args beginning with: 'ajar1234' \r\n",
	"RFB 003.008\n",
	"@RSYNCD: 31.0\n@ERROR: protocol startup error\n",
	"\xff\xfb\x25\xff\xfb\x26",
	"ERROR\r\n",
	":server\r\n",
	":irc.example.net 001\r\n",
	"001 nick :Welcome\r\n",
}

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want *record.Service
	}{
		{ngircd, &record.Service{Name: "irc", Product: "ngircd", Version: "26.1", ExtraInfo: "server irc.example.net",
			Confidence: 10, CPE: []string{"cpe:2.3:a:ngircd:ngircd:26.1:*:*:*:*:*:*:*"}}},
		// ngircd with PAM refusing the client.
		{"ERROR :Access denied: Bad password?\r\n", &record.Service{Name: "irc",
			ExtraInfo: "refusing: Access denied: Bad password?", Confidence: 8}},
		{"NOTICE AUTH :*** Looking up your hostname...\r\nNOTICE AUTH :*** Found your hostname\r\n",
			&record.Service{Name: "irc", Confidence: 8}},
		{":irc.example.org NOTICE * :*** Looking up your hostname...\r\nPING :3C1F2A9B\r\n",
			&record.Service{Name: "irc", Confidence: 8}},
		{":irc.example.org 001 ajar :Welcome to the ExampleNet IRC Network ajar!ajar@127.0.0.1\r\n" +
			":irc.example.org 002 ajar :Your host is irc.example.org, running version UnrealIRCd-6.1.2.3\r\n" +
			":irc.example.org 004 ajar irc.example.org UnrealIRCd-6.1.2.3 iowrsxzdHtIDRqpWGTSB lvhopsmntikraqbeIHzMQNRTOVKDdGLPZSCcf\r\n",
			&record.Service{Name: "irc", Product: "UnrealIRCd", Version: "6.1.2.3", ExtraInfo: "server irc.example.org",
				Confidence: 10, CPE: []string{"cpe:2.3:a:unrealircd:unrealircd:6.1.2.3:*:*:*:*:*:*:*"}}},
		{":irc.example.org 002 ajar :Your host is irc.example.org, running version InspIRCd-3\r\n",
			&record.Service{Name: "irc", Product: "InspIRCd", Version: "3", ExtraInfo: "server irc.example.org",
				Confidence: 8, CPE: []string{"cpe:2.3:a:inspircd:inspircd:3:*:*:*:*:*:*:*"}}},
		{":x.example 004 ajar x.example weird-1.0 ab cd\r\n", &record.Service{Name: "irc",
			ExtraInfo: "version weird-1.0; server x.example", Confidence: 8}},
		{":irc.example.net 433 * ajar1234 :Nickname already in use\r\n", &record.Service{Name: "irc", Confidence: 8}},
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

func TestParseMessage(t *testing.T) {
	m, ok := parseMessage(":irc.example.net 004 ajar irc.example.net ngircd-26.1 abB :x y")
	want := Message{Prefix: "irc.example.net", Command: "004", Params: []string{"ajar", "irc.example.net", "ngircd-26.1", "abB", "x y"}}
	if !ok || !cmp.Equal(m, want) {
		t.Errorf("parseMessage = %+v, %v", m, ok)
	}
	for _, in := range []string{"", ":", ": x", "HTTP/1.1 200 OK", "SSH-2.0-x", "a\x00b", "12 x"} {
		if m, ok := parseMessage(in); ok {
			t.Errorf("parseMessage(%q) = %+v", in, m)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range append(others, ngircd, "PING :x\r\n", "ERROR :bye\r\n") {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
	})
}

// server plays an IRC server: it welcomes a client once it has NICK and
// USER; with ping set it first asks for PONG; with taken set it refuses
// the first nickname.
func server(ping, taken bool) func(net.Conn) {
	return func(c net.Conn) {
		r := bufio.NewReader(c)
		nick, user, ponged := "", false, !ping
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			cmd, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
			switch cmd {
			case "NICK":
				if taken && nick == "" {
					c.Write([]byte(":irc.example.net 433 * " + arg + " :Nickname already in use\r\n"))
					taken = false
					continue
				}
				nick = arg
			case "USER":
				user = true
			case "PONG":
				ponged = arg == ":3C1F2A9B"
			case "QUIT":
				c.Write([]byte("ERROR :Closing connection\r\n"))
				return
			default:
				c.Write([]byte(":irc.example.net 451 * :Connection not registered\r\n"))
			}
			switch {
			case nick == "" || !user:
			case !ponged:
				c.Write([]byte("PING :3C1F2A9B\r\n"))
			default:
				c.Write([]byte(strings.ReplaceAll(ngircd, "NICK", nick)))
			}
		}
	}
}

func TestIdentifyLive(t *testing.T) {
	for _, tt := range []struct {
		name        string
		ping, taken bool
	}{{"plain", false, false}, {"ping", true, false}, {"nick taken", false, true}} {
		addr := fptest.Serve(t, server(tt.ping, tt.taken))
		svc := fptest.MustMatch(t, plugin{}, addr)
		if svc.Product != "ngircd" || svc.Version != "26.1" || svc.Confidence != 10 {
			t.Errorf("%s: got %+v", tt.name, svc)
		}
	}
}

func TestIdentifyLiveNoMatch(t *testing.T) {
	http := fptest.Serve(t, fptest.Reply([]byte(others[2]), 1))
	fptest.MustNotMatch(t, plugin{}, http)
	redis := fptest.Serve(t, fptest.Reply([]byte(others[7]), 1))
	fptest.MustNotMatch(t, plugin{}, redis)
	silent := fptest.HangUp(t)
	fptest.MustNotMatch(t, plugin{}, silent)
}

package xmpp

import (
	"bytes"
	"crypto/tls"
	"net"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/record"
)

// What Prosody 0.12.3 (Debian 12) answers, captured.
const (
	// A client stream to a domain it serves.
	prosody = "<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' xml:lang='en' " +
		"xmlns='jabber:client' version='1.0' id='0f9a64ca-e1bb-4662-8043-aa13da51fb41' from='localhost'>" +
		"<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>"
	// A client stream to an address it does not serve.
	prosodyUnknown = "<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' xml:lang='en' " +
		"xmlns='jabber:client' version='1.0' id='94492b4e-d226-463b-b7e3-f652ecfafa68' from='127.0.0.1'>" +
		"<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>" +
		"<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>This server does not serve 127.0.0.1</text></stream:error></stream:stream>"
	// A server-to-server stream.
	prosodyS2S = "<?xml version='1.0'?><stream:stream to='' xmlns:stream='http://etherx.jabber.org/streams' xml:lang='en' " +
		"xmlns='jabber:server' id='9b34fef6-fbeb-4fba-95fc-ebccf2468eb0' version='1.0' from='localhost' xmlns:db='jabber:server:dialback'>" +
		"<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls><dialback xmlns='urn:xmpp:features:dialback'/></stream:features>"
	// A server-to-server stream to an address it does not serve.
	prosodyS2SUnknown = "<?xml version='1.0'?><stream:stream xmlns='jabber:server' from='127.0.0.1' to='' xml:lang='en' " +
		"id='7ff0f39e-20d3-4706-b1da-e3659def7940' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>" +
		"<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>" +
		"This host does not serve 127.0.0.1</text></stream:error></stream:stream>"
	// After TLS: the SASL mechanisms.
	prosodyTLS = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' from='localhost' id='7c96a6f3' xml:lang='en' " +
		"xmlns:stream='http://etherx.jabber.org/streams' version='1.0'><stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" +
		"<mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism></mechanisms></stream:features>"
	ejabberd = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' " +
		"id='5827403161183830871' from='example.org' version='1.0' xml:lang='en'><stream:features>" +
		"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' " +
		"node='http://www.process-one.net/en/ejabberd/' ver='ASfHZJnL0ADQZ6VrLjAQsRNvVZw='/></stream:features>"
)

// others are what servers of other protocols answer a stream header
// with, or say first.
var others = []string{
	"",
	// our own stream header, echoed
	"<?xml version='1.0'?><stream:stream to='ajar.test' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>",
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\n\r\n<html><head><title>400 Bad Request</title></head></html>",
	"<html><body>hello</body></html>",
	"<?xml version='1.0'?><rss version='2.0'><channel/></rss>",
	"\x15\x03\x03\x00\x02\x02\x46",
	"220 (vsFTPd 3.0.3)\r\n",
	"+OK Dovecot (Debian) ready.\r\n",
	"RFB 003.008\n",
	"\xff\xfb\x25\xff\xfb\x26",
	"<stream:error><host-unknown/></stream:error>",
	"<!DOCTYPE x><stream:stream xmlns:stream='http://etherx.jabber.org/streams'>",
}

func TestParse(t *testing.T) {
	prosodyCPE := []string{"cpe:2.3:a:prosody:prosody:*:*:*:*:*:*:*:*"}
	tests := []struct {
		in   string
		want *record.Service
	}{
		{prosody, &record.Service{Name: "xmpp", ExtraInfo: "STARTTLS required", Confidence: 10}},
		{prosodyUnknown, &record.Service{Name: "xmpp", Product: "Prosody", ExtraInfo: "stream error: host-unknown",
			Confidence: 10, CPE: prosodyCPE}},
		{prosodyS2S, &record.Service{Name: "xmpp", ExtraInfo: "server-to-server; STARTTLS required", Confidence: 10}},
		{prosodyS2SUnknown, &record.Service{Name: "xmpp", Product: "Prosody", ExtraInfo: "server-to-server; stream error: host-unknown",
			Confidence: 10, CPE: prosodyCPE}},
		{prosodyTLS, &record.Service{Name: "xmpp", Confidence: 10}},
		{ejabberd, &record.Service{Name: "xmpp", Product: "ejabberd", Confidence: 10,
			CPE: []string{"cpe:2.3:a:process-one:ejabberd:*:*:*:*:*:*:*:*"}}},
		// The header alone.
		{prosody[:250], &record.Service{Name: "xmpp", Confidence: 10}},
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

func TestParseStream(t *testing.T) {
	st, err := ParseStream([]byte(prosodyTLS))
	if err != nil {
		t.Fatal(err)
	}
	want := Stream{From: "localhost", ID: "7c96a6f3", Version: "1.0", Namespace: "jabber:client",
		Mechanisms: []string{"SCRAM-SHA-1", "PLAIN"}}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("stream (-want +got):\n%s", diff)
	}
	st, err = ParseStream([]byte(prosodyS2S))
	if err != nil || !st.StartTLS || !st.TLSRequired || !st.Dialback || st.Namespace != "jabber:server" {
		t.Errorf("s2s: %+v, %v", st, err)
	}
	st, err = ParseStream([]byte(prosodyUnknown))
	if err != nil || st.Error != "host-unknown" || st.ErrorText != "This server does not serve 127.0.0.1" {
		t.Errorf("error: %+v, %v", st, err)
	}
}

func TestStreamHeader(t *testing.T) {
	got := string(streamHeader("a'b<c", "jabber:client"))
	want := "<?xml version='1.0'?><stream:stream to='a&#39;b&lt;c' xmlns='jabber:client' " +
		"xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
	if got != want {
		t.Errorf("streamHeader = %s", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range append(others, prosody, prosodyUnknown, prosodyS2S, prosodyS2SUnknown, prosodyTLS, ejabberd) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
	})
}

// readUntil reads from c until what it read holds end.
func readUntil(c net.Conn, end string) (string, bool) {
	var got []byte
	buf := make([]byte, 512)
	for !bytes.Contains(got, []byte(end)) {
		n, err := c.Read(buf)
		if err != nil {
			return string(got), false
		}
		got = append(got, buf[:n]...)
	}
	return string(got), true
}

// server plays Prosody: it answers a stream header with reply, and a
// starttls with proceed and a TLS handshake. It sends the header it got
// on headers.
func server(reply string, conf *tls.Config, headers chan<- string) func(net.Conn) {
	return func(c net.Conn) {
		h, ok := readUntil(c, "version='1.0'>")
		if !ok {
			return
		}
		headers <- h
		c.Write([]byte(reply))
		if _, ok := readUntil(c, "<starttls"); !ok || conf == nil {
			return
		}
		c.Write([]byte("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"))
		fptest.ServeTLS(c, conf)
	}
}

func TestIdentifyLive(t *testing.T) {
	headers := make(chan string, 8)
	addr := fptest.Serve(t, server(prosody, fptest.TLSConfig(t, "xmpp.test"), headers))
	svc := fptest.MustMatch(t, plugin{}, addr)
	if svc.Confidence != 10 || svc.ExtraInfo != "STARTTLS required" {
		t.Errorf("prosody: got %+v", svc)
	}
	if svc.TLS == nil || svc.TLS.StartTLS != "STARTTLS" || svc.TLS.Cert == nil || svc.TLS.Cert.Subject != "CN=xmpp.test" {
		t.Errorf("prosody: TLS %+v", svc.TLS)
	}
	if h := <-headers; !strings.Contains(h, "to='127.0.0.1'") || !strings.Contains(h, "xmlns='jabber:client'") {
		t.Errorf("stream header %q", h)
	}

	addr = fptest.Serve(t, server(prosodyUnknown, nil, headers))
	if svc = fptest.MustMatch(t, plugin{}, addr); svc.Product != "Prosody" || svc.TLS != nil {
		t.Errorf("host-unknown: got %+v", svc)
	}
	<-headers
}

func TestIdentifyLiveNoMatch(t *testing.T) {
	http := fptest.Serve(t, fptest.Reply([]byte(others[2]), 1))
	fptest.MustNotMatch(t, plugin{}, http)
	silent := fptest.HangUp(t)
	fptest.MustNotMatch(t, plugin{}, silent)
}

package tlsaudit

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/audit/audittest"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

// goServer serves TLS with Go's server and conf on a loopback port.
func goServer(t *testing.T, conf *tls.Config) netip.AddrPort {
	return audittest.ServeTCP(t, func(c net.Conn) { tls.Server(c, conf).Handshake() })
}

func serverCert(t *testing.T, rsaBits int) tls.Certificate {
	t.Helper()
	c, key := issue(t, certSpec{cn: "probe.test", names: []string{"probe.test"}, from: now.Add(-time.Hour),
		to: time.Now().Add(time.Hour), sig: x509.SHA256WithRSA, rsaBits: rsaBits, selfSigned: true}, nil, nil)
	return tls.Certificate{Certificate: [][]byte{c.Raw}, PrivateKey: key, Leaf: c}
}

func probe(t *testing.T, addr netip.AddrPort) Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tg := &audit.Target{Addr: addr, Proto: portspec.TCP, Service: &record.Service{Name: "https", Tunnel: "ssl"}}
	r, err := Probe(ctx, tg, "")
	if err != nil {
		t.Fatalf("Probe: %v", err)
	}
	return r
}

// TestProbeGoServer: against Go's own server, with legacy versions and
// weak suites switched on, the hand-built hellos find exactly the
// versions and suites it was given, and the certificate.
func TestProbeGoServer(t *testing.T) {
	cert := serverCert(t, 2048)
	suites := []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA,
		tls.TLS_RSA_WITH_RC4_128_SHA, tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA}
	addr := goServer(t, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS10,
		MaxVersion: tls.VersionTLS12, CipherSuites: suites})
	r := probe(t, addr)
	var versions []uint16
	for _, a := range r.Versions {
		versions = append(versions, a.Version)
	}
	if want := []uint16{VersionTLS12, VersionTLS11, VersionTLS10}; !slices.Equal(versions, want) {
		t.Fatalf("versions %x, want %x", versions, want)
	}
	got := slices.Sorted(slices.Values(r.Versions[0].Suites))
	if want := slices.Sorted(slices.Values(suites)); !slices.Equal(got, want) {
		t.Errorf("TLS 1.2 suites %x, want %x", got, want)
	}
	if len(r.Certs) != 1 || !r.Certs[0].Equal(cert.Leaf) {
		t.Errorf("certificates %v, want the server's", r.Certs)
	}
	fs := JudgeReport(&r)
	ids := findingIDs(fs)
	for _, id := range []string{"tls-legacy-version", "tls-broken-cipher", "tls-sweet32"} {
		if !slices.Contains(ids, id) {
			t.Errorf("findings %v lack %s", ids, id)
		}
	}
	if slices.Contains(ids, "tls-no-forward-secrecy") || slices.Contains(ids, "tls-sslv3") {
		t.Errorf("findings %v: forward secrecy is offered, SSL 3.0 is not", ids)
	}
	if g, why := Grade(&r, nil); g != "F" {
		t.Errorf("grade %s (%v), want F for RC4", g, why)
	}
}

// TestProbeModern: a TLS 1.3 server with AEAD suites grades A+ and
// yields no finding, its certificate read by Go's client.
func TestProbeModern(t *testing.T) {
	cert := serverCert(t, 2048)
	addr := goServer(t, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12,
		CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256}})
	r := probe(t, addr)
	if !r.Accepts(VersionTLS13) || !r.Accepts(VersionTLS12) || r.Accepts(VersionTLS11) || r.Accepts(VersionSSL3) {
		t.Fatalf("versions %+v, want TLS 1.3 and 1.2 only", r.Versions)
	}
	if fs := JudgeReport(&r); len(fs) != 0 {
		t.Errorf("findings on a modern server: %+v", fs)
	}
	if g, why := Grade(&r, nil); g != "A+" {
		t.Errorf("grade %s (%v), want A+", g, why)
	}
	if len(r.Certs) == 0 {
		t.Error("no certificate read")
	}
}

// TestProbeStatic: a server with only static RSA key exchange has no
// forward secrecy (medium) and grades B; a 1024-bit key also caps B.
func TestProbeStatic(t *testing.T) {
	cert := serverCert(t, 1024)
	addr := goServer(t, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12,
		MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_AES_256_GCM_SHA384}})
	r := probe(t, addr)
	fs := JudgeReport(&r)
	if len(fs) != 1 || fs[0].ID != "tls-no-forward-secrecy" || fs[0].Severity != record.Medium {
		t.Fatalf("findings %+v, want only tls-no-forward-secrecy (medium)", fs)
	}
	g, why := Grade(&r, nil)
	if g != "B" || !strings.Contains(strings.Join(why, ";"), "1024-bit") {
		t.Errorf("grade %s (%v), want B with the key's reason", g, why)
	}
	if g, _ := Grade(&r, JudgeChain(r.Certs, "other.test", time.Now(), nil)); g != "B/T" {
		t.Errorf("grade with an untrusted certificate %s, want B/T", g)
	}
}

// TestProbeNotTLS: a server that answers hellos with text, or closes,
// is refused at every version: no version, no error.
func TestProbeNotTLS(t *testing.T) {
	addr := audittest.ServeTCP(t, func(c net.Conn) { c.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n")) })
	r := probe(t, addr)
	if len(r.Versions) != 0 || len(r.Certs) != 0 {
		t.Errorf("a text server accepted %+v", r)
	}
}

func findingIDs(fs []record.Finding) []string {
	var ids []string
	for _, f := range fs {
		ids = append(ids, f.ID)
	}
	return ids
}

// TestParseFlight reads literal records: an alert, a ServerHello split
// over two records, a TLS 1.3 ServerHello's supported_versions, and
// bytes that are not TLS.
func TestParseFlight(t *testing.T) {
	alert := []byte{21, 3, 3, 0, 2, 2, 70}
	if sh, err := ParseFlight(alert, false); err != nil || sh.Alert != 70 {
		t.Errorf("alert: %+v, %v", sh, err)
	}
	hello := []byte{2, 0, 0, 38, 3, 1}
	hello = append(hello, make([]byte, 32)...)
	hello = append(hello, 0, 0xc0, 0x14, 0)
	rec := func(b []byte) []byte { return tlsRecord(recordHandshake, VersionTLS10, b) }
	split := append(rec(hello[:10]), rec(hello[10:])...)
	if sh, err := ParseFlight(split, false); err != nil || sh.Version != VersionTLS10 || sh.Suite != 0xc014 {
		t.Errorf("split ServerHello: %+v, %v", sh, err)
	}
	if _, err := ParseFlight(split[:12], false); !errors.Is(err, ErrShort) {
		t.Errorf("half a ServerHello: %v, want ErrShort", err)
	}
	h13 := []byte{2, 0, 0, 46, 3, 3}
	h13 = append(h13, make([]byte, 32)...)
	h13 = append(h13, 0, 0x13, 0x02, 0, 0, 6, 0, 43, 0, 2, 3, 4)
	if sh, err := ParseFlight(rec(h13), false); err != nil || sh.Version != VersionTLS13 || sh.Suite != 0x1302 {
		t.Errorf("TLS 1.3 ServerHello: %+v, %v", sh, err)
	}
	if _, err := ParseFlight([]byte("HTTP/1.1 400 Bad Request\r\n"), false); err == nil || errors.Is(err, ErrShort) {
		t.Errorf("text: %v, want an error that is not ErrShort", err)
	}
	if !ParseSSLv2([]byte{0x80, 0x20, 4, 0, 1, 0, 2, 0, 0, 0, 3, 0, 0x10}) || ParseSSLv2(alert) {
		t.Error("ParseSSLv2")
	}
}

// FuzzParseFlight: hostile bytes never panic, and a whole flight is
// never reported short when it is followed by more.
func FuzzParseFlight(f *testing.F) {
	f.Add([]byte{21, 3, 3, 0, 2, 2, 70}, true)
	f.Add(append([]byte{22, 3, 1, 0, 4}, 2, 0, 0, 0), false)
	f.Fuzz(func(t *testing.T, b []byte, certs bool) {
		ParseFlight(b, certs)
		ParseSSLv2(b)
	})
}

// TestHelloShape: each version's hello is one handshake record that
// Go's server would parse: SSL 3.0 without extensions, TLS 1.3 with
// supported_versions.
func TestHelloShape(t *testing.T) {
	for _, v := range []uint16{VersionSSL3, VersionTLS10, VersionTLS12, VersionTLS13} {
		b, err := Hello(v, []uint16{0xc02f, 0x1301}, "probe.test")
		if err != nil {
			t.Fatal(err)
		}
		if b[0] != recordHandshake || int(b[3])<<8|int(b[4]) != len(b)-5 || b[5] != 1 {
			t.Errorf("%s: not one handshake record: % x", VersionName(v), b[:6])
		}
		if got := strings.Contains(string(b), "probe.test"); got == (v == VersionSSL3) {
			t.Errorf("%s: SNI present %v", VersionName(v), got)
		}
	}
	if b := sslv2Hello(); b[0]&0x80 == 0 || b[2] != 1 {
		t.Errorf("SSLv2 hello % x", b[:3])
	}
}

// TestProbeStartTLS: after FTP's AUTH TLS, each hello reaches the TLS
// server behind the dialogue; a service whose dialogue is refused
// yields an error, not a clean bill.
func TestProbeStartTLS(t *testing.T) {
	cert := serverCert(t, 2048)
	conf := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	addr := audittest.ServeTCP(t, func(c net.Conn) {
		c.Write([]byte("220-ajar test\r\n220 ready\r\n"))
		buf := make([]byte, 64)
		n, _ := c.Read(buf)
		if string(buf[:n]) != "AUTH TLS\r\n" {
			c.Write([]byte("500 what\r\n"))
			return
		}
		c.Write([]byte("234 go on\r\n"))
		tls.Server(c, conf).Handshake()
	})
	tg := &audit.Target{Addr: addr, Proto: portspec.TCP, Service: &record.Service{Name: "ftp", TLS: &record.TLS{StartTLS: "AUTH TLS"}}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := Probe(ctx, tg, "AUTH TLS")
	if err != nil || !r.Accepts(VersionTLS13) || !r.Accepts(VersionTLS12) || r.Accepts(VersionTLS11) || len(r.Certs) == 0 {
		t.Fatalf("Probe after AUTH TLS: %+v, %v", r, err)
	}
	tg.Service = &record.Service{Name: "smtp", TLS: &record.TLS{StartTLS: "STARTTLS"}}
	if _, err := Probe(ctx, tg, "STARTTLS"); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("SMTP's dialogue with an FTP server: %v, want a refusal", err)
	}
}

package dns

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Captures from dnsmasq 2.90 (Debian 12) answering our queries with ID
// 0x1234.
const (
	dnsmasqVersionBind   = "1234848000010001000000000776657273696f6e0462696e640000100003c00c0010000300000000000d0c646e736d6173712d322e3930"
	dnsmasqVersionServer = "1234808400010000000000000776657273696f6e067365727665720000100003"
)

// answer plays a DNS server: it answers query q with the CHAOS TXT
// record txt, or with rcode when txt is empty.
func answer(q []byte, txt string, rcode uint16) []byte {
	if len(q) < headerLen+5 {
		return nil
	}
	end := headerLen
	for end < len(q) && q[end] != 0 {
		end += int(q[end]) + 1
	}
	end += 5
	if end > len(q) {
		return nil
	}
	out := append([]byte(nil), q[:end]...)
	binary.BigEndian.PutUint16(out[2:], 0x8400|rcode)
	if txt == "" {
		return out
	}
	binary.BigEndian.PutUint16(out[6:], 1)
	out = append(out, 0xc0, 0x0c, 0, typeTXT, 0, classCH, 0, 0, 0, 0)
	out = binary.BigEndian.AppendUint16(out, uint16(len(txt)+1))
	out = append(out, byte(len(txt)))
	return append(out, txt...)
}

func query(t testing.TB, id uint16, name string) []byte {
	q, err := Query(id, name)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestParseResponse(t *testing.T) {
	cpe := func(v, p, ver string) []string { return []string{fingerprint.CPE(v, p, ver)} }
	tests := []struct {
		name string
		in   []byte
		want *record.Service
	}{
		{"dnsmasq", unhex(t, dnsmasqVersionBind), &record.Service{Name: "dns", Product: "dnsmasq", Version: "2.90",
			CPE: cpe("thekelleys", "dnsmasq", "2.90"), Confidence: 10}},
		{"dnsmasq version.server", unhex(t, dnsmasqVersionServer), &record.Service{Name: "dns", Confidence: 10,
			ExtraInfo: "version query: NOTIMP"}},
		{"bind debian", answer(query(t, 0x1234, "version.bind"), "9.18.28-1~deb12u2-Debian", 0), &record.Service{
			Name: "dns", Product: "ISC BIND", Version: "9.18.28", ExtraInfo: "1~deb12u2-Debian",
			CPE: cpe("isc", "bind", "9.18.28"), Confidence: 10}},
		{"bind patch", answer(query(t, 0x1234, "version.bind"), "9.11.4-P2-RedHat-9.11.4-26.P2.el7", 0), &record.Service{
			Name: "dns", Product: "ISC BIND", Version: "9.11.4-P2", ExtraInfo: "RedHat-9.11.4-26.P2.el7",
			CPE: cpe("isc", "bind", "9.11.4-P2"), Confidence: 10}},
		{"unbound", answer(query(t, 0x1234, "version.server"), "unbound 1.17.1", 0), &record.Service{
			Name: "dns", Product: "Unbound", Version: "1.17.1", CPE: cpe("nlnetlabs", "unbound", "1.17.1"), Confidence: 10}},
		{"hidden", answer(query(t, 0x1234, "version.bind"), "none of your business", 0), &record.Service{
			Name: "dns", ExtraInfo: "version: none of your business", Confidence: 10}},
		{"no question", []byte{0x12, 0x34, 0x81, 0x05, 0, 0, 0, 0, 0, 0, 0, 0}, &record.Service{
			Name: "dns", ExtraInfo: "version query: REFUSED", Confidence: 10}},
	}
	for _, tt := range tests {
		got, err := ParseResponse(tt.in, 0x1234)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
	bad := map[string][]byte{
		"empty":     nil,
		"http":      []byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"),
		"ssh":       []byte("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"),
		"tls alert": {0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x28},
		"smtp":      []byte("220 mail.example.org ESMTP Exim 4.96 Ubuntu\r\n"),
		"query":     query(t, 0x1234, "version.bind"),
		"wrong id":  unhex(t, "4321"+dnsmasqVersionBind[4:]),
		"truncated": unhex(t, dnsmasqVersionBind[:len(dnsmasqVersionBind)-8]),
		"loop":      {0x12, 0x34, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 16, 0, 3},
	}
	for name, in := range bad {
		if got, err := ParseResponse(in, 0x1234); !errors.Is(err, fingerprint.ErrNoMatch) {
			t.Errorf("%s: ParseResponse = %+v, %v; want ErrNoMatch", name, got, err)
		}
	}
}

func TestQuery(t *testing.T) {
	q := query(t, 0xbeef, "version.bind")
	want := "beef00000001000000000000" + "0776657273696f6e0462696e6400" + "00100003"
	if got := hex.EncodeToString(q); got != want {
		t.Errorf("Query = %s, want %s", got, want)
	}
	if _, err := Query(1, "a..b"); err == nil {
		t.Error("Query accepted an empty label")
	}
}

func FuzzParseResponse(f *testing.F) {
	f.Add(unhex(f, dnsmasqVersionBind), uint16(0x1234))
	f.Add(unhex(f, dnsmasqVersionServer), uint16(0x1234))
	f.Add([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"), uint16(0x4854))
	f.Fuzz(func(t *testing.T, b []byte, id uint16) {
		svc, err := ParseResponse(b, id)
		if (svc == nil) == (err == nil) {
			t.Fatalf("ParseResponse: service %v with error %v", svc, err)
		}
	})
}

// serveTCPDNS plays a DNS server over TCP that answers every query.
func serveTCPDNS(t *testing.T, txt string) func(net.Conn) {
	return func(c net.Conn) {
		for {
			var l [2]byte
			if _, err := readFull(c, l[:]); err != nil {
				return
			}
			q := make([]byte, binary.BigEndian.Uint16(l[:]))
			if _, err := readFull(c, q); err != nil {
				return
			}
			a := answer(q, txt, 5)
			c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(a))), a...))
		}
	}
}

func readFull(c net.Conn, b []byte) (int, error) {
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	n := 0
	for n < len(b) {
		m, err := c.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func TestIdentifyLiveUDP(t *testing.T) {
	udp := plugin{proto: portspec.UDP}
	addr := fptest.ServeUDP(t, func(q []byte) []byte { return answer(q, "dnsmasq-2.90", 0) })
	svc := fptest.MustMatch(t, udp, addr)
	if svc.Name != "dns" || svc.Product != "dnsmasq" || svc.Version != "2.90" || svc.Confidence != 10 {
		t.Errorf("got %+v", svc)
	}
	// Only version.server answers: the plugin asks it after version.bind.
	addr = fptest.ServeUDP(t, func(q []byte) []byte {
		if len(q) > 20 && string(q[21:27]) == "server" {
			return answer(q, "unbound 1.17.1", 0)
		}
		return answer(q, "", 5)
	})
	if svc := fptest.MustMatch(t, udp, addr); svc.Product != "Unbound" {
		t.Errorf("version.server: got %+v", svc)
	}
	// A server that answers with another ID is not answering us.
	wrongID := fptest.ServeUDP(t, func(q []byte) []byte {
		a := answer(q, "dnsmasq-2.90", 0)
		a[0] ^= 0xff
		return a
	})
	fptest.MustNotMatch(t, udp, wrongID)
	echo := fptest.ServeUDP(t, func(q []byte) []byte { return q })
	fptest.MustNotMatch(t, udp, echo)
	silent := fptest.ServeUDP(t, func([]byte) []byte { return nil })
	fptest.MustNotMatch(t, udp, silent)
}

func TestIdentifyLiveTCP(t *testing.T) {
	tcp := plugin{proto: portspec.TCP}
	addr := fptest.Serve(t, serveTCPDNS(t, "9.18.28-1~deb12u2-Debian"))
	svc := fptest.MustMatch(t, tcp, addr)
	if svc.Product != "ISC BIND" || svc.Version != "9.18.28" || svc.Method != "probed" {
		t.Errorf("got %+v", svc)
	}
	refused := fptest.Serve(t, serveTCPDNS(t, ""))
	if svc := fptest.MustMatch(t, tcp, refused); svc.Product != "" || svc.ExtraInfo != "version query: REFUSED" {
		t.Errorf("refused: got %+v", svc)
	}
	http := fptest.Serve(t, fptest.Reply([]byte("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"), 1))
	fptest.MustNotMatch(t, tcp, http)
	silent := fptest.HangUp(t)
	fptest.MustNotMatch(t, tcp, silent)
}

// TestIdentifyTCPLingers: a server over TCP that answers only a while
// after the probe timeout, as Knot does when other probes' connections
// held it until they gave up, is still named: DNS over TCP lingers.
func TestIdentifyTCPLingers(t *testing.T) {
	cfg := fingerprint.Config{Timeout: 5 * time.Second, ProbeTimeout: 400 * time.Millisecond, BannerWait: 200 * time.Millisecond}
	serve := serveTCPDNS(t, "9.18.28-1~deb12u2-Debian")
	addr := fptest.Serve(t, func(c net.Conn) {
		time.Sleep(cfg.ProbeTimeout + 250*time.Millisecond) // the query waits in the socket
		serve(c)
	})
	svc, err := cfg.Identify(context.Background(), fingerprint.Target{Addr: addr, Proto: portspec.TCP})
	if err != nil || svc.Name != "dns" {
		t.Errorf("an answer 250 ms past the probe timeout: %+v, %v; want dns", svc, err)
	}
}

package fingerprint_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"net/netip"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/fptest"
	_ "github.com/ajarsec/ajar/fingerprint/ssh"
	"github.com/ajarsec/ajar/portspec"
)

// quick is a configuration with short waits, for peers on loopback.
var quick = fingerprint.Config{Timeout: 3 * time.Second, ProbeTimeout: 500 * time.Millisecond, BannerWait: 300 * time.Millisecond}

func identify(t *testing.T, cfg fingerprint.Config, addr netip.AddrPort) (svcName string, err error, took time.Duration) {
	t.Helper()
	start := time.Now()
	svc, err := cfg.Identify(context.Background(), fingerprint.Target{Addr: addr, Proto: portspec.TCP})
	took = time.Since(start)
	if svc != nil {
		svcName = svc.Name
	}
	return svcName, err, took
}

func TestIdentifyBanner(t *testing.T) {
	addr := fptest.Serve(t, fptest.Reply([]byte("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"), 0))
	svc, err := quick.Identify(context.Background(), fingerprint.Target{Addr: addr, Proto: portspec.TCP})
	if err != nil {
		t.Fatal(err)
	}
	if svc.Name != "ssh" || svc.Product != "OpenSSH" || svc.Version != "9.2p1" || svc.Method != "probed" {
		t.Errorf("got %+v", svc)
	}
	if svc.Banner != `SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n` {
		t.Errorf("banner %q", svc.Banner)
	}
}

func TestIdentifyUnknownBanner(t *testing.T) {
	addr := fptest.Serve(t, fptest.Reply([]byte("HELLO \x01 friend\r\n"), 0))
	svc, err := quick.Identify(context.Background(), fingerprint.Target{Addr: addr, Proto: portspec.TCP})
	if err != nil {
		t.Fatal(err)
	}
	if svc.Name != "unknown" || svc.Banner != `HELLO \x01 friend\r\n` {
		t.Errorf("got %+v", svc)
	}
}

func TestIdentifySilent(t *testing.T) {
	addr := fptest.Serve(t, func(c net.Conn) { c.Read(make([]byte, 1)); time.Sleep(5 * time.Second) })
	_, err, took := identify(t, quick, addr)
	if !errors.Is(err, fingerprint.ErrNoMatch) && !strings.Contains(fmtErr(err), "deadline") {
		t.Errorf("silent service: %v", err)
	}
	if took > quick.Timeout+time.Second {
		t.Errorf("silent service took %v, over its %v budget", took, quick.Timeout)
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestIdentifyClosed(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().(*net.TCPAddr).AddrPort()
	l.Close()
	if _, err, _ := identify(t, quick, addr); err == nil || errors.Is(err, fingerprint.ErrNoMatch) {
		t.Errorf("closed port: %v, want a dial error", err)
	}
}

// TestIdentifyHostile checks that servers that misbehave cost at most the
// port's budget, in time and in memory.
func TestIdentifyHostile(t *testing.T) {
	var sent atomic.Int64
	junk := make([]byte, 64<<10)
	for i := range junk {
		junk[i] = byte(i*7 + 3)
	}
	servers := map[string]func(net.Conn){
		"100 MB of junk": func(c net.Conn) {
			// Each connection's own count: unread bytes that the kernel
			// buffers (a few MB a connection) add up over the probes'
			// connections, and say nothing of what ajar read.
			n := 0
			defer func() {
				for old := sent.Load(); int64(n) > old && !sent.CompareAndSwap(old, int64(n)); old = sent.Load() {
				}
			}()
			for n < 100<<20 {
				k, err := c.Write(junk)
				n += k
				if err != nil {
					return
				}
			}
		},
		"a byte a second": func(c net.Conn) {
			for i := 0; i < 30; i++ {
				if _, err := c.Write([]byte{'x'}); err != nil {
					return
				}
				time.Sleep(time.Second)
			}
		},
		"closes at once": func(c net.Conn) {},
		"broken TLS": func(c net.Conn) {
			buf := make([]byte, 1024)
			for {
				if _, err := c.Read(buf); err != nil {
					return
				}
				// A handshake record header with a lying length, then
				// nothing.
				if _, err := c.Write([]byte{0x16, 0x03, 0x03, 0x40, 0x00, 0x02, 0x00}); err != nil {
					return
				}
			}
		},
	}
	for name, srv := range servers {
		t.Run(name, func(t *testing.T) {
			addr := fptest.Serve(t, srv)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err, took := identify(t, quick, addr)
			runtime.ReadMemStats(&after)
			t.Logf("%s: %v in %v", name, err, took)
			if took > quick.Timeout+time.Second {
				t.Errorf("took %v, over its %v budget", took, quick.Timeout)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
				t.Errorf("allocated %d MB", grew>>20)
			}
		})
	}
	if s := sent.Load(); s >= 100<<20 {
		t.Errorf("the junk server sent all of its %d bytes on one connection: reading was not bounded", s)
	}
}

// selfSigned makes a certificate for name that expired a day ago.
func selfSigned(t *testing.T, name string, notAfter time.Time) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7),
		Subject:      pkix.Name{CommonName: name, Organization: []string{"ajar test"}},
		DNSNames:     []string{name},
		NotBefore:    notAfter.Add(-48 * time.Hour),
		NotAfter:     notAfter,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func TestIdentifyTLS(t *testing.T) {
	cert := selfSigned(t, "db.example", time.Now().Add(-24*time.Hour))
	conf := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}}
	addr := fptest.Serve(t, func(c net.Conn) {
		tc := tls.Server(c, conf)
		if err := tc.Handshake(); err != nil {
			return
		}
		fptest.Reply([]byte("SSH-2.0-OpenSSH_9.6\r\n"), 0)(tc)
	})
	svc, err := quick.Identify(context.Background(), fingerprint.Target{Addr: addr, Proto: portspec.TCP})
	if err != nil {
		t.Fatal(err)
	}
	if svc.Name != "ssh" || svc.Tunnel != "ssl" || svc.Version != "9.6" {
		t.Errorf("got %+v", svc)
	}
	s := svc.TLS
	if s == nil || s.Cert == nil {
		t.Fatalf("no TLS description: %+v", svc)
	}
	c := s.Cert
	if s.Version != "TLSv1.3" || s.ALPN != "http/1.1" || !strings.HasPrefix(s.CipherSuite, "TLS_") {
		t.Errorf("session %+v", s)
	}
	if !c.SelfSigned || !c.Expired || c.KeyType != "ECDSA" || c.KeyBits != 256 ||
		!strings.Contains(c.Subject, "CN=db.example") || len(c.SANs) != 1 || c.SANs[0] != "db.example" {
		t.Errorf("certificate %+v", c)
	}
	// TLS 1.3 servers answer 771 (TLS 1.2) in the hello's version field.
	if !strings.HasPrefix(s.JA3SString, "771,") || len(s.JA3S) != 32 {
		t.Errorf("JA3S %q = %q", s.JA3SString, s.JA3S)
	}
}

package fingerprint_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

// rare is a client-first plugin tried last of all: it asks "ZZ?" and
// names the service when the answer is "ZZ!".
type rare struct{}

func init() { fingerprint.Register(rare{}) }

func (rare) Info() fingerprint.Info {
	return fingerprint.Info{Name: "zz-rare", Proto: portspec.TCP, Rarity: 9}
}

func (rare) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := c.Exchange([]byte("ZZ?\n"), fingerprint.UntilLine, 64)
	if err != nil || string(b) != "ZZ!\n" {
		return nil, fingerprint.ErrNoMatch
	}
	return &record.Service{Product: "rare"}, nil
}

// rareServer says greeting (if any), then answers "ZZ!" to "ZZ?" and
// nothing to anything else.
func rareServer(greeting string) func(net.Conn) {
	return func(c net.Conn) {
		c.Write([]byte(greeting))
		r := bufio.NewReader(io.LimitReader(c, 4096))
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			if line == "ZZ?\n" {
				c.Write([]byte("ZZ!\n"))
			}
		}
	}
}

// waves runs probes four at a time, so that the last plugin comes
// several waves after the first.
var waves = fingerprint.Config{Timeout: 15 * time.Second, ProbeTimeout: 400 * time.Millisecond,
	BannerWait: 300 * time.Millisecond, ProbeParallel: 4}

func identifyTCP(t *testing.T, cfg fingerprint.Config, handle func(net.Conn)) (*record.Service, error) {
	t.Helper()
	addr := fptest.Serve(t, handle)
	return cfg.Identify(context.Background(), fingerprint.Target{Addr: addr, Proto: portspec.TCP})
}

// TestIdentifyEveryProbe checks that a port no plugin claims, whose
// service greets with something no plugin knows or says nothing, gets
// every TCP probe, the rarest last, within its time.
func TestIdentifyEveryProbe(t *testing.T) {
	n := 0
	for _, p := range fingerprint.Plugins(portspec.TCP) {
		if !p.Info().ServerFirst {
			n++
		}
	}
	if n < 2*waves.ProbeParallel {
		t.Fatalf("only %d client-first plugins: the test wants several waves", n)
	}
	for _, greeting := range []string{"", "HELLO \x01 friend\r\n"} {
		svc, err := identifyTCP(t, waves, rareServer(greeting))
		if err != nil {
			t.Fatalf("greeting %q: %v", greeting, err)
		}
		if svc.Name != "zz-rare" || svc.Product != "rare" || svc.Tunnel != "" {
			t.Errorf("greeting %q: got %+v", greeting, svc)
		}
	}
}

// TestIdentifyInsideTLS runs the whole order inside TLS: the rarest
// probe names what runs there; a service nothing names is unknown, in an
// ssl tunnel, with its banner and the TLS session.
func TestIdentifyInsideTLS(t *testing.T) {
	conf := fptest.TLSConfig(t, "inside.test")
	wrap := func(h func(net.Conn)) func(net.Conn) {
		return func(c net.Conn) {
			tc := tls.Server(c, conf)
			if tc.Handshake() != nil {
				return
			}
			h(tc)
		}
	}
	svc, err := identifyTCP(t, waves, wrap(rareServer("")))
	if err != nil {
		t.Fatal(err)
	}
	if svc.Name != "zz-rare" || svc.Tunnel != "ssl" || svc.TLS == nil {
		t.Errorf("rare inside TLS: got %+v", svc)
	}
	mute := func(c net.Conn) { c.Write([]byte("HELLO \x01 friend\r\n")); io.Copy(io.Discard, c) }
	svc, err = identifyTCP(t, waves, wrap(mute))
	if err != nil {
		t.Fatal(err)
	}
	if svc.Name != "unknown" || svc.Tunnel != "ssl" || svc.Banner != `HELLO \x01 friend\r\n` ||
		svc.TLS == nil || svc.TLS.Cert == nil || !strings.Contains(svc.TLS.Cert.Subject, "inside.test") {
		t.Errorf("unknown inside TLS: got %+v", svc)
	}
	svc, err = identifyTCP(t, waves, wrap(func(c net.Conn) { io.Copy(io.Discard, c) }))
	if err != nil {
		t.Fatal(err)
	}
	if svc.Name != "unknown" || svc.Tunnel != "ssl" || svc.TLS == nil || svc.Banner != "" {
		t.Errorf("silent inside TLS: got %+v", svc)
	}
}

// TestIdentifyDialErrors serves one connection and then closes its
// listener: the probes that follow cannot connect, and the answer says
// so instead of dropping it.
func TestIdentifyDialErrors(t *testing.T) {
	for _, greeting := range []string{"", "HELLO \x01 friend\r\n"} {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			c, err := l.Accept()
			l.Close()
			if err != nil {
				return
			}
			defer c.Close()
			c.Write([]byte(greeting))
			io.Copy(io.Discard, c)
		}()
		addr := l.Addr().(*net.TCPAddr).AddrPort()
		svc, err := waves.Identify(context.Background(), fingerprint.Target{Addr: addr, Proto: portspec.TCP})
		switch {
		case greeting == "" && (!errors.Is(err, fingerprint.ErrNoMatch) || !strings.Contains(fmtErr(err), "refused")):
			t.Errorf("silent, then refused: %v, %+v", err, svc)
		case greeting != "" && (err != nil || svc.Name != "unknown" || !strings.Contains(svc.ExtraInfo, "refused")):
			t.Errorf("a banner, then refused: %v, %+v", err, svc)
		}
		<-done
	}
}

// redialer opens more connections with Conn.Redial than it may.
type redialer struct{ errs chan error }

func (redialer) Info() fingerprint.Info {
	return fingerprint.Info{Name: "zz-redial", Proto: portspec.TCP, Rarity: 9}
}

func (p redialer) Identify(ctx context.Context, c *fingerprint.Conn) (*record.Service, error) {
	for range fingerprint.MaxRedials + 1 {
		n, err := c.Redial(ctx)
		p.errs <- err
		if err == nil {
			n.Close()
		}
	}
	return nil, fingerprint.ErrNoMatch
}

// TestRedial: a plugin gets MaxRedials more connections, then
// ErrNoRedial; a Conn of its own (a plugin's test) gets none.
func TestRedial(t *testing.T) {
	addr := fptest.Serve(t, func(c net.Conn) { io.Copy(io.Discard, c) })
	p := redialer{errs: make(chan error, fingerprint.MaxRedials+1)}
	if _, err := waves.Try(context.Background(), p, fingerprint.Target{Addr: addr, Proto: portspec.TCP}); !errors.Is(err, fingerprint.ErrNoMatch) {
		t.Fatalf("Try: %v", err)
	}
	for i := range fingerprint.MaxRedials + 1 {
		err := <-p.errs
		if want := i >= fingerprint.MaxRedials; errors.Is(err, fingerprint.ErrNoRedial) != want || (!want && err != nil) {
			t.Errorf("redial %d: %v", i+1, err)
		}
	}
	nc, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := fingerprint.NewConn(nc, portspec.TCP, "", 0).Redial(context.Background()); !errors.Is(err, fingerprint.ErrNoRedial) {
		t.Errorf("Redial of a plugin's own Conn: %v", err)
	}
}

package ask

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/portspec"
)

func dial(t *testing.T, handle func(net.Conn)) *fingerprint.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", fptest.Serve(t, handle).String())
	if err != nil {
		t.Fatal(err)
	}
	nc.SetDeadline(time.Now().Add(3 * time.Second))
	c := fingerprint.NewConn(nc, portspec.TCP, "", 0)
	t.Cleanup(func() { c.Close() })
	return c
}

func TestToClose(t *testing.T) {
	// An answer in two parts, then the close: both parts come back.
	c := dial(t, func(c net.Conn) {
		c.Read(make([]byte, 16))
		c.Write([]byte("one\r\n"))
		time.Sleep(50 * time.Millisecond)
		c.Write([]byte("two\r\n"))
	})
	if b, err := ToClose(c, []byte("q\r\n"), 64); err != nil || string(b) != "one\r\ntwo\r\n" {
		t.Errorf("ToClose = %q, %v", b, err)
	}
	// At most max bytes.
	c = dial(t, func(c net.Conn) { c.Read(make([]byte, 16)); c.Write(make([]byte, 100)) })
	if b, err := ToClose(c, []byte("q\r\n"), 10); err != nil || len(b) > 10 {
		t.Errorf("ToClose kept %d bytes, %v", len(b), err)
	}
}

func TestExchangeNothing(t *testing.T) {
	c := dial(t, func(c net.Conn) { c.Read(make([]byte, 16)) })
	if b, err := Exchange(c, []byte("q\r\n"), nil, 64); b != nil || err == nil {
		t.Errorf("Exchange with a peer that closes = %q, %v", b, err)
	}
	c = dial(t, func(c net.Conn) { c.Read(make([]byte, 16)); c.Write([]byte("partial")) })
	b, err := Exchange(c, []byte("q\r\n"), fingerprint.UntilLine, 64)
	if err != nil || string(b) != "partial" {
		t.Errorf("Exchange = %q, %v; want what arrived, for the parser to judge", b, err)
	}
	if errors.Is(err, fingerprint.ErrNoMatch) {
		t.Error("ErrNoMatch with bytes")
	}
}

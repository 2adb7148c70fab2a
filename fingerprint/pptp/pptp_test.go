package pptp

import (
	"context"
	"encoding/hex"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/portspec"
)

// reply140 is pptpd 1.4.0's (Debian 12) SCCRP: result 1, firmware 1,
// host "local", vendor "linux".
var reply140, _ = hex.DecodeString("009c00011a2b3c4d00020000010001000000000000000000000100016c6f63616c" +
	strings.Repeat("00", 59) + "6c696e7578" + strings.Repeat("00", 59))

func TestParse(t *testing.T) {
	if len(Request()) != msgLen {
		t.Fatalf("request of %d bytes", len(Request()))
	}
	svc := fptest.CheckParse(t, "Parse", Parse, reply140)
	if svc.ExtraInfo != "result 1; firmware 1; host local; vendor linux" {
		t.Errorf("got %+v", svc)
	}
	fptest.NoMatch(t, "Parse", Parse, string(Request()), string(reply140[:100]), "HTTP/1.1 400 Bad Request\r\n")
}

func TestIdentify(t *testing.T) {
	fptest.MustMatch(t, plugin{}, fptest.Serve(t, fptest.Reply(reply140, msgLen)))
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, func(c net.Conn) { io.Copy(c, c) }))
}

// TestIdentifyLingers: a server that answers the SCCRQ only a while after
// the probe timeout, as pptpd does when another probe's silent connection
// held it until that probe gave up, is still named: the plugin lingers.
func TestIdentifyLingers(t *testing.T) {
	cfg := fingerprint.Config{Timeout: 5 * time.Second, ProbeTimeout: 400 * time.Millisecond, BannerWait: 200 * time.Millisecond}
	addr := fptest.Serve(t, func(c net.Conn) {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.ReadFull(c, make([]byte, msgLen)); err != nil {
			return
		}
		time.Sleep(cfg.ProbeTimeout + 250*time.Millisecond)
		c.Write(reply140)
	})
	svc, err := cfg.Identify(context.Background(), fingerprint.Target{Addr: addr, Proto: portspec.TCP})
	if err != nil || svc.Name != "pptp" {
		t.Errorf("an answer 250 ms past the probe timeout: %+v, %v; want pptp", svc, err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(reply140)
	f.Fuzz(func(t *testing.T, b []byte) { Parse(b) })
}

package jetdirect

import (
	"io"
	"net"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// Printers' answers to "@PJL INFO ID" as public PJL tools' tests quote
// them: an HP LaserJet 4250 with the form feed, a LaserJet 400 that
// starts with a UEL, and a Brother that adds its firmware and no feed.
const (
	hp4250  = "@PJL INFO ID\r\n\"HP LaserJet 4250\"\r\n\f"
	hp400   = uel + "@PJL INFO ID\r\n\"HP LaserJet 400 M401dne\"\r\n\f"
	brother = "@PJL INFO ID\r\n\"Brother HL-L2360D series:84U-F75:Ver.b.26\"\r\n"
)

func TestParse(t *testing.T) {
	for in, want := range map[string][3]string{
		hp4250:  {"HP LaserJet 4250", "", "cpe:2.3:h:hp:laserjet_4250:*:*:*:*:*:*:*:*"},
		hp400:   {"HP LaserJet 400 M401dne", "", "cpe:2.3:h:hp:laserjet_400_m401dne:*:*:*:*:*:*:*:*"},
		brother: {"Brother HL-L2360D series", "b.26", "cpe:2.3:h:brother:hl-l2360d_series:*:*:*:*:*:*:*:*"},
	} {
		svc := fptest.CheckParse(t, "Parse", Parse, []byte(in))
		if svc == nil || svc.Product != want[0] || svc.Version != want[1] || len(svc.CPE) != 1 || svc.CPE[0] != want[2] {
			t.Errorf("Parse(%q) = %+v", in, svc)
		}
	}
	fptest.NoMatch(t, "Parse", Parse, "", string(Request()), // an echo
		"@PJL INFO ID\r\n", "@PJL INFO ID\r\nHP LaserJet\r\n", // unquoted, no feed
		"@PJL INFO ID\r\n\"\"\r\n\f", "@PJL INFO ID\r\n\"@PJL\"\r\n\f", "@PJL INFO STATUS\r\nCODE=10001\r\n\f",
		"HTTP/1.1 400 Bad Request\r\n\r\n", "500 @PJL INFO ID: command not understood\r\n")
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{hp4250, hp400, brother, string(Request())} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { fptest.CheckParse(t, "Parse", Parse, b) })
}

func TestIdentifyLive(t *testing.T) {
	if svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, fptest.Reply([]byte(hp4250), len(Request())))); svc.Product != "HP LaserJet 4250" {
		t.Errorf("got %+v", svc)
	}
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, func(c net.Conn) { io.Copy(c, c) }))
	fptest.MustNotMatch(t, plugin{}, fptest.HangUp(t))
}

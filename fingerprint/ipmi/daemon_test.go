//go:build linux

package ipmi

import (
	"context"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// TestIdentifyIPMISim runs OpenIPMI's BMC simulator (Debian's openipmi)
// on a loopback port of no protocol's and names it.
func TestIdentifyIPMISim(t *testing.T) {
	bin, err := exec.LookPath("ipmi_sim")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("ipmi_sim (openipmi) not installed: scripts/test-deps.sh installs it")
		}
		t.Skip("ipmi_sim (openipmi) not installed")
	}
	port := freeUDPPort(t)
	dir := t.TempDir()
	conf := `name "ajartest"
set_working_mc 0x20
  startlan 1
    addr 127.0.0.1 ` + strconv.Itoa(port) + `
    priv_limit admin
    allowed_auths_callback none md5
    allowed_auths_user none md5
    allowed_auths_operator none md5
    allowed_auths_admin none md5
    guid a123456789abcdefa123456789abcdef
  endlan
  user 2 true "zoo" "zoo-pass" admin 10 md5
`
	emu := "mc_setbmc 0x20\nmc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr\nmc_enable 0x20\n"
	for name, body := range map[string]string{"lan.conf": conf, "sim.emu": emu} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-c", filepath.Join(dir, "lan.conf"), "-f", filepath.Join(dir, "sim.emu"),
		"-n", "-s", filepath.Join(dir, "state"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); cmd.Wait() }()
	addr := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port))
	p := fptest.UDPPlugin(t, name)
	tick := time.NewTicker(100 * time.Millisecond) // at most ten tries a second
	defer tick.Stop()
	for ; ; <-tick.C {
		svc, err := fptest.Try(t, p, addr)
		if err == nil {
			if svc.ExtraInfo != "IPMI 2.0; auth none,MD5" {
				t.Errorf("%+v", svc)
			}
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("ipmi_sim on %s never named: %v", addr, err)
		}
	}
}

// freeUDPPort is a loopback UDP port that was free a moment ago.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	return pc.LocalAddr().(*net.UDPAddr).Port
}

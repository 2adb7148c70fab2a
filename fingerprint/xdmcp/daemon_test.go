//go:build linux

package xdmcp

import (
	"context"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// TestIdentifyXDM runs xdm (Debian's xdm) with XDMCP on a loopback port
// of no protocol's, no local display, willing to manage any host (an
// Xaccess of "*"), and names it; then with an empty Xaccess, which
// refuses, and is named too.
func TestIdentifyXDM(t *testing.T) {
	bin, err := exec.LookPath("xdm")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("xdm not installed: scripts/test-deps.sh installs it")
		}
		t.Skip("xdm not installed")
	}
	if os.Geteuid() != 0 {
		t.Skip("xdm runs as root")
	}
	for _, c := range []struct{ access, info string }{{"*\n", "willing; "}, {"", "unwilling; "}} {
		svc := runXDM(t, bin, c.access)
		if !strings.HasPrefix(svc, c.info) {
			t.Errorf("Xaccess %q: %q, want %q...", c.access, svc, c.info)
		}
	}
}

// runXDM starts xdm with access as its Xaccess and returns what the
// plugin says of it.
func runXDM(t *testing.T, bin, access string) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	pc.Close()
	dir := t.TempDir()
	conf := "DisplayManager.authDir: " + dir + "\nDisplayManager.errorLogFile: " + filepath.Join(dir, "xdm.log") +
		"\nDisplayManager.pidFile: " + filepath.Join(dir, "xdm.pid") + "\nDisplayManager.servers: " + filepath.Join(dir, "Xservers") +
		"\nDisplayManager.accessFile: " + filepath.Join(dir, "Xaccess") + "\nDisplayManager.requestPort: " + strconv.Itoa(port) +
		"\nDisplayManager*authorize: false\n"
	for name, body := range map[string]string{"xdm-config": conf, "Xservers": "", "Xaccess": access} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-config", filepath.Join(dir, "xdm-config"), "-nodaemon")
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
			return svc.ExtraInfo
		}
		if ctx.Err() != nil {
			t.Fatalf("xdm on %s never named: %v", addr, err)
		}
	}
}

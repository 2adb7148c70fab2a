package main_test

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ajarsec/ajar/fingerprint/snmp"
	"github.com/ajarsec/ajar/internal/zoo"
)

// auditFinding is a finding as ajar's JSON gives it.
type auditFinding = zoo.AuditFinding

// TestAuditZoo runs ajar scan --audit on the audit zoo's daemons, each
// planted misconfiguration next to its hardened twin, and holds the
// findings to the truth table with zoo.JudgeAudit, as bench/audit.sh
// does: every planted risk found with its id and severity, no finding of
// a twin's category on the twin, and no finding at high or above
// anywhere the truth does not plant one.
func TestAuditZoo(t *testing.T) {
	// RabbitMQ's Erlang boot takes minutes when the machine is loaded.
	z := zoo.Start(t, zoo.Options{Set: zoo.Audit, StartTimeout: 4 * time.Minute})
	svcs := z.Services(zoo.Usual)
	waitSNMPTwin(t, z)
	ports := zooPorts(svcs) + "," + strconv.Itoa(zoo.AuditSNMPTwinPort) // U: comes last
	cmd := z.Bed.Scanner.Command(ajarBin, "scan", "-sT", "-sU", "--audit", "--audit-intrusive", "-p", ports, "-o", "jsonl", "-q",
		z.Addr().String())
	// The hardened twins' certificates are signed by the zoo's own CA.
	cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+z.AuditCA())
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ajar scan --audit: %v\n%s", err, stderr.String())
	}
	scan, err := zoo.ReadAuditScan(strings.NewReader(string(out)))
	if err != nil {
		t.Fatal(err)
	}
	// The same judge as bench/audit.sh's: every planted risk found with
	// its id, category and severity, every service identified (its checks
	// ran), no finding of a twin's category on the twin, nothing at high
	// or above where nothing is planted.
	v := zoo.JudgeAudit(scan, svcs)
	for _, p := range v.Problems {
		t.Error(p)
	}
	if len(v.Problems) > 0 {
		t.Logf("ajar's warnings:\n%s", stderr.String())
	}
	t.Logf("planted risks found %d, missed %d; twins' rows %d, false alarms on them %d", v.Found, v.Missed, v.Twins, v.TwinAlarms)
	if v.Skipped > 0 || v.Found == 0 {
		t.Errorf("%d truth rows not judged, %d planted risks found: the zoo did not run whole", v.Skipped, v.Found)
	}
	checkFailOn(t, z)
	if err := z.Check(); err != nil {
		t.Error(err)
	}
}

// checkFailOn: --fail-on high exits 1 on the planted risks, with the
// table listing them (-v: with their fixes); on the hardened twins alone
// it exits 0.
func checkFailOn(t *testing.T, z *zoo.Zoo) {
	run := func(ports string) (string, int) {
		cmd := z.Bed.Scanner.Command(ajarBin, "scan", "-sT", "--audit", "--fail-on", "high", "-v", "-p", ports, "-q",
			z.Addr().String())
		cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+z.AuditCA())
		out, err := cmd.Output()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}
	out, code := run("6379,443")
	if code != 1 || !strings.Contains(out, "CRITICAL  6379/tcp  redis-no-auth") || !strings.Contains(out, "fix: set `requirepass") {
		t.Errorf("--fail-on high on the risks: exit %d, want 1, and the findings in the table:\n%s", code, out)
	}
	t.Logf("the table:\n%s", out)
	if out, code := run("6380,2121,2222,8443"); code != 0 {
		t.Errorf("--fail-on high on the hardened twins: exit %d, want 0:\n%s", code, out)
	}
}

// waitSNMPTwin waits until the SNMP agent that the zoo's readiness probe
// cannot ask (its community is not public) answers an SNMPv3 discovery.
func waitSNMPTwin(t *testing.T, z *zoo.Zoo) {
	addr := netip.AddrPortFrom(z.Addr(), zoo.AuditSNMPTwinPort).String()
	err := z.Bed.InScanner(func() error {
		c, err := net.Dial("udp", addr)
		if err != nil {
			return err
		}
		defer c.Close()
		buf := make([]byte, 2048)
		for i := 0; i < 50; i++ { // 50 tries of 200 ms: 10 s at most
			if _, err := c.Write(snmp.DiscoveryRequest(int32(i + 1))); err != nil {
				return err
			}
			c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			if n, err := c.Read(buf); err == nil {
				if _, err := snmp.ParseReply(buf[:n]); err == nil {
					return nil
				}
			}
		}
		return fmt.Errorf("the SNMP twin at %s never answered", addr)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestAuditFlags: --fail-on and --audit misused are usage errors (exit
// 2), said in one line, before anything is scanned.
func TestAuditFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-p", "1", "--audit", "--fail-on", "severe"}, "bad --fail-on"},
		{[]string{"-p", "1", "--fail-on", "high"}, "add --audit"},
		{[]string{"--audit", "-sn"}, "--audit has nothing to judge"},
		{[]string{"-p", "1", "-o", "csv", "--findings"}, "add --audit"},
		{[]string{"-p", "1", "--audit", "--findings"}, "add -o csv"},
	} {
		args := append([]string{"scan"}, tc.args...)
		// Loopback, in case a check regresses and the scan starts.
		_, stderr, code := ajar(t, append(args, "127.0.0.1")...)
		if code != 2 || !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("ajar %v: exit %d, stderr %q; want 2 and one line saying %q", args, code, stderr, tc.want)
		}
	}
}

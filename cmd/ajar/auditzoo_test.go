package main_test

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	"bufio"
	"encoding/json"
	"github.com/ajarsec/ajar/fingerprint/snmp"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/ajarsec/ajar/internal/zoo"
)

// auditUnnamed are the audit zoo's daemons that identification cannot
// name, with why: their checks do not run.
var auditUnnamed = map[string]string{
	"audit-memcached-sasl": "memcached with SASL (-S) speaks only the binary protocol: text commands get silence",
	"audit-docker-tls":     "dockerd --tlsverify ends the TLS session of a client without a certificate: nothing to identify",
}

type auditFinding struct {
	ID, Category, Severity, Evidence, Remediation, Confidence string
}

// TestAuditZoo runs ajar scan --audit on the audit zoo's daemons, each
// planted misconfiguration next to its hardened twin, and holds the
// findings to the truth table: every planted risk found with its id and
// severity, no finding of a twin's category on the twin, and no finding
// at high or above anywhere the truth does not plant one.
func TestAuditZoo(t *testing.T) {
	z := zoo.Start(t, zoo.Options{Set: zoo.Audit})
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
	got := map[uint16][]auditFinding{}
	names := map[uint16]string{}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r struct {
			Port    uint16 `json:"port"`
			Service *struct {
				Name, Method string
			} `json:"service"`
			Findings []auditFinding `json:"findings"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("bad JSON line %q: %v", sc.Text(), err)
		}
		got[r.Port] = append(got[r.Port], r.Findings...)
		if r.Service != nil && r.Service.Method != "port-table" {
			names[r.Port] = r.Service.Name
		}
	}
	// A twin is clean only if it was judged: its service identified.
	for _, s := range svcs {
		if why, ok := auditUnnamed[s.Daemon]; ok {
			// "unknown": probed, nothing recognised (a TLS session
			// that ends before a byte of the service).
			if n := names[s.Port]; n != "" && n != "unknown" {
				t.Errorf("%s (port %d) is named %s now: remove it from auditUnnamed (%s)", s.Daemon, s.Port, names[s.Port], why)
			}
			continue
		}
		if names[s.Port] != s.Name {
			t.Errorf("%s (port %d) identified as %q, want %q: its checks did not run", s.Daemon, s.Port, names[s.Port], s.Name)
		}
	}
	if names[zoo.AuditSNMPTwinPort] != "snmp" {
		t.Errorf("the SNMP twin (port %d) identified as %q: its checks did not run", zoo.AuditSNMPTwinPort, names[zoo.AuditSNMPTwinPort])
	}
	planted := map[uint16]map[string]bool{}
	found, missed := 0, 0
	for _, r := range zoo.AuditTruth() {
		fs := got[r.Port]
		if r.Severity == "" {
			for _, f := range fs {
				if f.Category == r.Category {
					t.Errorf("hardened twin %s (port %d): false alarm %s (%s): %s", r.Daemon, r.Port, f.ID, f.Severity, f.Evidence)
				}
			}
			continue
		}
		if planted[r.Port] == nil {
			planted[r.Port] = map[string]bool{}
		}
		planted[r.Port][r.ID] = true
		ok := false
		for _, f := range fs {
			if f.ID == r.ID {
				ok = true
				if f.Severity != r.Severity || f.Category != r.Category || f.Remediation == "" || f.Evidence == "" {
					t.Errorf("%s (port %d): %+v, want category %s severity %s with evidence and remediation",
						r.Daemon, r.Port, f, r.Category, r.Severity)
				}
			}
		}
		if ok {
			found++
		} else {
			missed++
			t.Errorf("%s (port %d): %s not found; findings %+v", r.Daemon, r.Port, r.ID, fs)
		}
	}
	for port, fs := range got {
		for _, f := range fs {
			if (f.Severity == "high" || f.Severity == "critical") && !planted[port][f.ID] {
				t.Errorf("port %d: false alarm at %s: %s: %s", port, f.Severity, f.ID, f.Evidence)
			}
		}
	}
	t.Logf("planted risks found %d, missed %d", found, missed)
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

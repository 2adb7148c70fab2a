//go:build linux

package zoo

import (
	"strings"
	"testing"
)

// perfectAuditScan is a scan that found every planted risk as the truth
// says, identified every service, and flagged nothing else.
func perfectAuditScan(svcs []Service) AuditScan {
	s := AuditScan{Findings: map[uint16][]AuditFinding{}, Names: map[uint16]string{AuditSNMPTwinPort: "snmp"}}
	ran := map[string]bool{}
	for _, svc := range svcs {
		ran[svc.Daemon] = true
		if _, ok := AuditUnnamed[svc.Daemon]; !ok {
			s.Names[svc.Port] = svc.Name
		}
	}
	for _, r := range AuditTruth() {
		if r.Severity != "" && ran[r.Daemon] {
			s.Findings[r.Port] = append(s.Findings[r.Port], AuditFinding{ID: r.ID, Category: r.Category,
				Severity: r.Severity, Evidence: "e", Remediation: "r"})
		}
	}
	return s
}

// TestJudgeAudit: the judge TestAuditZoo and bench/audit.sh share passes
// a perfect scan and names each way a scan falls short.
func TestJudgeAudit(t *testing.T) {
	versions := map[string]string{}
	for _, d := range catalogAudit() {
		versions[d.pkg] = "1.0-1"
		versions[d.truthPkg] = "1.0-1"
	}
	svcs := truthTable(catalogAudit(), versions)
	v := JudgeAudit(perfectAuditScan(svcs), svcs)
	if len(v.Problems) != 0 || v.Missed != 0 || v.Found == 0 || v.Skipped != 0 {
		t.Fatalf("a perfect scan: found %d, missed %d, skipped %d, problems %q", v.Found, v.Missed, v.Skipped, v.Problems)
	}
	all := v.Found

	s := perfectAuditScan(svcs)
	s.Findings[6379] = nil                                                                              // redis-no-auth missed
	s.Names[22] = "unknown"                                                                             // sshd not identified
	s.Findings[6380] = []AuditFinding{{ID: "redis-no-auth", Category: "no-auth", Severity: "critical"}} // on the twin
	s.Findings[8080] = []AuditFinding{{ID: "x-made-up", Category: "info-leak", Severity: "high"}}       // twin and high
	s.Names[11212] = "memcached"                                                                        // an unnamed one named
	v = JudgeAudit(s, svcs)
	want := []string{"(port 6379): redis-no-auth not found", `(port 22/tcp) identified as "unknown"`,
		"hardened twin audit-redis-auth (port 6380): false alarm redis-no-auth", "port 8080: false alarm at high: x-made-up",
		"port 6380: false alarm at critical", "is named memcached now: remove it from AuditUnnamed"}
	for _, w := range want {
		if !strings.Contains(strings.Join(v.Problems, "\n"), w) {
			t.Errorf("no problem saying %q in:\n%s", w, strings.Join(v.Problems, "\n"))
		}
	}
	if v.Missed != 1 || v.Found != all-1 || len(v.HighAlarms) != 2 || v.TwinAlarms != 2 {
		t.Errorf("found %d missed %d high alarms %d twin alarms %d", v.Found, v.Missed, len(v.HighAlarms), v.TwinAlarms)
	}

	// A run without a daemon: its rows are skipped, not missed.
	var some []Service
	for _, svc := range svcs {
		if svc.Daemon != "audit-redis-open" {
			some = append(some, svc)
		}
	}
	if v = JudgeAudit(perfectAuditScan(some), some); v.Skipped != 1 || len(v.Problems) != 0 {
		t.Errorf("without audit-redis-open: skipped %d, problems %q", v.Skipped, v.Problems)
	}
}

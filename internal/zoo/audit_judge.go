//go:build linux

package zoo

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/ajarsec/ajar/portspec"
)

// AuditUnnamed are the audit zoo's daemons that identification cannot
// name, with why: their checks do not run, and their twins' rows hold
// only because nothing was judged.
var AuditUnnamed = map[string]string{
	"audit-memcached-sasl": "memcached with SASL (-S) speaks only the binary protocol: text commands get silence",
	"audit-docker-tls":     "dockerd --tlsverify ends the TLS session of a client without a certificate: nothing to identify",
}

// AuditFinding is one finding as ajar's JSON output gives it.
type AuditFinding struct {
	ID, Category, Severity, Evidence, Remediation, Confidence string
}

// AuditScan is what `ajar scan --audit -o jsonl` said about the audit
// zoo: the findings by port, and the service identification named on each
// port (not the port table's guess).
type AuditScan struct {
	Findings map[uint16][]AuditFinding
	Names    map[uint16]string
}

// ReadAuditScan reads ajar's JSON Lines.
func ReadAuditScan(r io.Reader) (AuditScan, error) {
	s := AuditScan{Findings: map[uint16][]AuditFinding{}, Names: map[uint16]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var rec struct {
			Port    uint16 `json:"port"`
			Service *struct {
				Name, Method string
			} `json:"service"`
			Findings []AuditFinding `json:"findings"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return s, fmt.Errorf("ajar's JSON line %.80q: %w", sc.Text(), err)
		}
		s.Findings[rec.Port] = append(s.Findings[rec.Port], rec.Findings...)
		if rec.Service != nil && rec.Service.Method != "port-table" {
			s.Names[rec.Port] = rec.Service.Name
		}
	}
	return s, sc.Err()
}

// AuditRow is one truth row judged: Got is the finding's severity,
// "missed" (with why when the service was not identified), or on a twin
// "clean" or "FALSE ALARM id severity".
type AuditRow struct {
	Risk
	Got string
}

// AuditVerdict is a scan held to the truth table. Problems lists every
// way the scan falls short (a planted risk missed or malformed, a false
// alarm on a twin or at high or above anywhere nothing is planted, a
// service not identified, so not judged); a scan that passes has none.
type AuditVerdict struct {
	Rows                 []AuditRow
	Found, Missed, Twins int
	TwinAlarms           int
	HighAlarms           []string
	Problems             []string
	Skipped              int // rows of daemons that did not run
}

// JudgeAudit holds a scan of the audit zoo to AuditTruth. services are
// the zoo's services that ran (their daemons' rows are judged; the SNMP
// twin, outside the services, always is). TestAuditZoo and
// bench/audit.sh both judge with it.
func JudgeAudit(s AuditScan, services []Service) AuditVerdict {
	var v AuditVerdict
	ran := map[string]bool{}
	for _, svc := range services {
		ran[svc.Daemon] = true
	}
	unjudged := v.identified(s, services)
	planted := map[uint16]map[string]bool{}
	for _, r := range AuditTruth() {
		if !ran[r.Daemon] && r.Port != AuditSNMPTwinPort {
			v.Skipped++
			continue
		}
		if r.Severity == "" {
			v.judgeTwin(r, s.Findings[r.Port])
			continue
		}
		if planted[r.Port] == nil {
			planted[r.Port] = map[string]bool{}
		}
		planted[r.Port][r.ID] = true
		v.judgeRisk(r, s.Findings[r.Port], unjudged[r.Port])
	}
	ports := make([]uint16, 0, len(s.Findings))
	for p := range s.Findings {
		ports = append(ports, p)
	}
	slices.Sort(ports)
	for _, p := range ports {
		for _, f := range s.Findings[p] {
			if (f.Severity == "high" || f.Severity == "critical") && !planted[p][f.ID] {
				a := fmt.Sprintf("port %d: false alarm at %s: %s: %s", p, f.Severity, f.ID, f.Evidence)
				v.HighAlarms = append(v.HighAlarms, a)
				v.Problems = append(v.Problems, a)
			}
		}
	}
	return v
}

// identified checks that each service was named as the zoo says (its
// checks ran), but for AuditUnnamed's; it returns why, by port, for those
// that were not.
func (v *AuditVerdict) identified(s AuditScan, services []Service) map[uint16]string {
	why := map[uint16]string{}
	want := append([]Service(nil), services...)
	want = append(want, Service{Name: "snmp", Proto: portspec.UDP, Port: AuditSNMPTwinPort, Daemon: "audit-snmpd-private"})
	for _, svc := range want {
		got := s.Names[svc.Port]
		if reason, ok := AuditUnnamed[svc.Daemon]; ok {
			// "unknown": probed, nothing recognised.
			if got != "" && got != "unknown" {
				v.Problems = append(v.Problems, fmt.Sprintf("%s (port %d) is named %s now: remove it from AuditUnnamed (%s)",
					svc.Daemon, svc.Port, got, reason))
			}
			continue
		}
		if got != svc.Name {
			why[svc.Port] = fmt.Sprintf("identified as %q, want %q", got, svc.Name)
			v.Problems = append(v.Problems, fmt.Sprintf("%s (port %d/%s) %s: its checks did not run",
				svc.Daemon, svc.Port, svc.Proto, why[svc.Port]))
		}
	}
	return why
}

func (v *AuditVerdict) judgeTwin(r Risk, fs []AuditFinding) {
	v.Twins++
	got := "clean"
	for _, f := range fs {
		if f.Category == r.Category {
			v.TwinAlarms++
			got = "FALSE ALARM " + f.ID + " " + f.Severity
			v.Problems = append(v.Problems, fmt.Sprintf("hardened twin %s (port %d): false alarm %s (%s): %s",
				r.Daemon, r.Port, f.ID, f.Severity, f.Evidence))
		}
	}
	v.Rows = append(v.Rows, AuditRow{r, got})
}

func (v *AuditVerdict) judgeRisk(r Risk, fs []AuditFinding, unjudged string) {
	got := "missed"
	for _, f := range fs {
		if f.ID != r.ID {
			continue
		}
		got = f.Severity
		if f.Severity != r.Severity || f.Category != r.Category || f.Remediation == "" || f.Evidence == "" {
			v.Problems = append(v.Problems, fmt.Sprintf("%s (port %d): %+v, want category %s severity %s with evidence and remediation",
				r.Daemon, r.Port, f, r.Category, r.Severity))
		}
	}
	if got == "missed" {
		v.Missed++
		if unjudged != "" {
			got += " (" + unjudged + ")"
		}
		v.Problems = append(v.Problems, fmt.Sprintf("%s (port %d): %s not found; findings %+v", r.Daemon, r.Port, r.ID, fs))
	} else {
		v.Found++
	}
	v.Rows = append(v.Rows, AuditRow{r, got})
}

package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"net/netip"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/ajarsec/ajar/record"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// auditStream is one audited host: Redis with two findings, FTP with
// one, SSH with none, then its Host record.
func auditStream() []record.Record {
	a := netip.MustParseAddr("192.0.2.10")
	port := func(p uint16, name string, fs ...record.Finding) *record.PortResult {
		return &record.PortResult{Host: a, Hostname: "db.example", Port: p, Proto: record.TCP, State: record.Open,
			Reason: record.ReasonSynAck, Service: &record.Service{Name: name, Method: "probed", Confidence: 10},
			Findings: fs}
	}
	return []record.Record{
		port(21, "ftp", record.Finding{ID: "ftp-anonymous", Category: record.NoAuth, Severity: record.Medium,
			Title: "FTP server accepts anonymous logins", Evidence: `230 Login successful.`,
			Remediation: "anonymous_enable=NO (vsftpd.conf)", References: []string{"CWE-287"}, Confidence: record.Confirmed}),
		port(22, "ssh"),
		port(6379, "redis",
			record.Finding{ID: "redis-no-auth", Category: record.NoAuth, Severity: record.Critical,
				Title: "Redis answers commands without authentication", Evidence: `+PONG\r\n & <x>`,
				Remediation: "requirepass <secret> (redis.conf)", References: []string{"CWE-306"}, Confidence: record.Confirmed},
			record.Finding{ID: "redis-version", Category: record.InfoLeak, Severity: record.Info,
				Title: "Redis tells its version", Confidence: record.Confirmed}),
		&record.Host{Addr: a, Name: "db.example", State: record.Up, Reason: record.ReasonUserSet},
	}
}

func TestFindingsTable(t *testing.T) {
	short := string(writeStream(t, Table, Options{}, streamInfo(), auditStream(), streamStats()))
	if !strings.Contains(short, "CRITICAL  6379/tcp  redis-no-auth") || strings.Contains(short, "fix:") {
		t.Errorf("without -v: the findings, one line each, no fixes:\n%s", short)
	}
	out := string(writeStream(t, Table, Options{Style: Style{Verbose: true}}, streamInfo(), auditStream(), streamStats()))
	_, list, ok := strings.Cut(out, "Audit findings (worst first):\n")
	if !ok {
		t.Fatalf("no findings in the table:\n%s", out)
	}
	want := []string{
		"CRITICAL  6379/tcp  redis-no-auth  Redis answers commands without authentication",
		"          fix: requirepass <secret> (redis.conf)",
		"MEDIUM    21/tcp    ftp-anonymous  FTP server accepts anonymous logins",
		"          fix: anonymous_enable=NO (vsftpd.conf)",
		"INFO      6379/tcp  redis-version  Redis tells its version",
	}
	got := strings.Split(list, "\n")
	if len(got) < len(want) || !reflect.DeepEqual(got[:len(want)], want) {
		t.Errorf("findings:\n%s\nwant:\n%s", list, strings.Join(want, "\n"))
	}
}

func TestFindingsJSON(t *testing.T) {
	for _, f := range []Format{JSON, JSONL} {
		out := writeStream(t, f, Options{}, streamInfo(), auditStream(), streamStats())
		var ports []struct {
			Port     uint16           `json:"port"`
			Findings []record.Finding `json:"findings"`
		}
		if f == JSON {
			if err := json.Unmarshal(out, &ports); err != nil {
				t.Fatalf("%s: %v\n%s", f, err, out)
			}
		} else {
			for _, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
				var p struct {
					Port     uint16           `json:"port"`
					Findings []record.Finding `json:"findings"`
				}
				if err := json.Unmarshal(line, &p); err != nil {
					t.Fatalf("%s: %v: %s", f, err, line)
				}
				ports = append(ports, p)
			}
		}
		in := auditStream()
		for i, p := range ports[:3] {
			want := in[i].(*record.PortResult)
			if p.Port != want.Port || !reflect.DeepEqual(p.Findings, want.Findings) {
				t.Errorf("%s: port %d findings %+v, want %+v", f, p.Port, p.Findings, want.Findings)
			}
		}
		if bytes.Count(out, []byte(`"findings"`)) != 2 {
			t.Errorf("%s: %d findings members, want 2 (none on the port without findings)", f, bytes.Count(out, []byte(`"findings"`)))
		}
	}
}

func TestFindingsXML(t *testing.T) {
	out := writeStream(t, XML, Options{}, streamInfo(), auditStream(), streamStats())
	var run struct {
		Ports []struct {
			ID      int `xml:"portid,attr"`
			Scripts []struct {
				ID     string `xml:"id,attr"`
				Output string `xml:"output,attr"`
				Elems  []struct {
					Key string `xml:"key,attr"`
					Val string `xml:",chardata"`
				} `xml:"elem"`
				Tables []struct {
					Key   string   `xml:"key,attr"`
					Elems []string `xml:"elem"`
				} `xml:"table"`
			} `xml:"script"`
		} `xml:"host>ports>port"`
	}
	if err := xml.Unmarshal(out, &run); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	byPort := map[int]int{}
	for _, p := range run.Ports {
		byPort[p.ID] = len(p.Scripts)
		for _, s := range p.Scripts {
			if s.ID != "ajar-audit" {
				t.Errorf("script id %q", s.ID)
			}
			if p.ID == 6379 && strings.HasPrefix(s.Output, "critical redis-no-auth") {
				elems := map[string]string{}
				for _, e := range s.Elems {
					elems[e.Key] = e.Val
				}
				if elems["evidence"] != `+PONG\r\n & <x>` || elems["category"] != "no-auth" || elems["confidence"] != "confirmed" {
					t.Errorf("elems %v", elems)
				}
				if len(s.Tables) != 1 || s.Tables[0].Key != "references" || s.Tables[0].Elems[0] != "CWE-306" {
					t.Errorf("tables %+v", s.Tables)
				}
			}
		}
	}
	if byPort[21] != 1 || byPort[22] != 0 || byPort[6379] != 2 {
		t.Errorf("scripts per port %v", byPort)
	}
	// nmap's DTD takes them.
	const dtd = "/usr/share/nmap/nmap.dtd"
	if _, err := os.Stat(dtd); err != nil {
		t.Skipf("needs %s (Debian package nmap-common)", dtd)
	}
	const script = `
import io, re, sys
from lxml import etree
text = re.sub(r'scanner\s+\(nmap\)', 'scanner CDATA', open(sys.argv[1]).read())
dtd = etree.DTD(io.StringIO(text))
if not dtd.validate(etree.parse(sys.argv[2])):
    print(dtd.error_log.filter_from_errors()); sys.exit(1)
`
	if err := exec.Command("/usr/bin/python3", "-c", "import lxml.etree").Run(); err != nil {
		t.Skip("needs python3 with lxml (Debian package python3-lxml)")
	}
	if b, err := exec.Command("/usr/bin/python3", "-c", script, dtd, writeTemp(t, "audit.xml", out)).CombinedOutput(); err != nil {
		t.Errorf("not valid under nmap's DTD: %v\n%s", err, b)
	}
}

// sarifSchema is where scripts/test-deps.sh puts the SARIF 2.1.0 JSON
// schema (from the npm package @microsoft/jest-sarif, MIT), unless
// AJAR_SARIF_SCHEMA names another copy.
const sarifSchema = "/usr/local/share/ajar/sarif-schema-2.1.0.json"

func TestFindingsSARIF(t *testing.T) {
	out := writeStream(t, SARIF, Options{}, streamInfo(), auditStream(), streamStats())
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID string `json:"id"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Level     string `json:"level"`
				Locations []struct {
					Physical struct {
						Artifact struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(out, &log); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 || log.Runs[0].Tool.Driver.Name != "ajar" {
		t.Fatalf("log %+v", log)
	}
	r := log.Runs[0]
	if len(r.Results) != 3 || len(r.Tool.Driver.Rules) != 3 {
		t.Fatalf("%d results, %d rules: %s", len(r.Results), len(r.Tool.Driver.Rules), out)
	}
	levels := map[string]string{}
	for _, res := range r.Results {
		if r.Tool.Driver.Rules[res.RuleIndex].ID != res.RuleID {
			t.Errorf("result %s points at rule %d", res.RuleID, res.RuleIndex)
		}
		levels[res.RuleID] = res.Level + " " + res.Locations[0].Physical.Artifact.URI
	}
	want := map[string]string{"redis-no-auth": "error tcp://192.0.2.10:6379", "ftp-anonymous": "warning tcp://192.0.2.10:21",
		"redis-version": "note tcp://192.0.2.10:6379"}
	if !reflect.DeepEqual(levels, want) {
		t.Errorf("results %v, want %v", levels, want)
	}
	empty := writeStream(t, SARIF, Options{}, streamInfo(), nil, streamStats())
	sch := sarifSchemaFor(t)
	for i, b := range [][]byte{out, empty} {
		if err := validate(sch, b); err != nil {
			t.Errorf("log %d is not valid SARIF 2.1.0: %v\n%s", i, err, b)
		}
	}
	// The schema does catch a bad log.
	bad := bytes.Replace(out, []byte(`"level":"error"`), []byte(`"level":"fatal"`), 1)
	if validate(sch, bad) == nil {
		t.Error("a result of level fatal passed the schema")
	}
}

func validate(sch *jsonschema.Schema, b []byte) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return err
	}
	return sch.Validate(v)
}

// sarifSchemaFor compiles the SARIF 2.1.0 JSON schema.
func sarifSchemaFor(t *testing.T) *jsonschema.Schema {
	path := os.Getenv("AJAR_SARIF_SCHEMA")
	if path == "" {
		path = sarifSchema
	}
	f, err := os.Open(path)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the SARIF schema is needed under CI=true (scripts/test-deps.sh): %v", err)
		}
		t.Skipf("no SARIF schema (scripts/test-deps.sh installs it): %v", err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("sarif.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("sarif.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// TestFindingsCSV: -o csv --findings writes a header and a row per
// finding, with its port's host and service.
func TestFindingsCSV(t *testing.T) {
	out := writeStream(t, CSV, Options{Findings: true}, streamInfo(), auditStream(), streamStats())
	rows, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || !reflect.DeepEqual(rows[0], findingCSVHeader) {
		t.Fatalf("rows %q, want the header and 3 findings", rows)
	}
	want := map[string]string{"redis-no-auth": "6379 critical", "ftp-anonymous": "21 medium", "redis-version": "6379 info"}
	for _, r := range rows[1:] {
		if got := r[2] + " " + r[9]; want[r[7]] != got || r[0] != "192.0.2.10" {
			t.Errorf("row %q: port and severity %q, want %q", r, got, want[r[7]])
		}
	}
	for _, r := range rows[1:] {
		if r[7] == "redis-no-auth" && (r[12] == "" || r[13] != "CWE-306" || r[4] != "redis") {
			t.Errorf("row %q lacks the service, remediation or references", r)
		}
	}
}

// TestFindingsWeighed: a finding weighed by exposure (ajar audit) keeps
// its exposure and reason in JSON, XML, SARIF and CSV --findings; an
// unweighed one has neither.
func TestFindingsWeighed(t *testing.T) {
	rs := auditStream()
	for _, r := range rs {
		if p, ok := r.(*record.PortResult); ok && p.Port == 6379 {
			p.Findings[0].Exposure = record.ExposureLoopback
			p.Findings[0].SeverityReason = "medium, not critical: loopback only"
		}
	}
	for _, tc := range []struct {
		f    Format
		opts Options
		want string
	}{
		{JSONL, Options{}, `"exposure":"loopback","severity_reason":"medium, not critical: loopback only"`},
		{XML, Options{}, `<elem key="exposure">loopback</elem><elem key="severity_reason">medium, not critical: loopback only</elem>`},
		{SARIF, Options{}, `"exposure":"loopback"`},
		{CSV, Options{Findings: true}, `loopback,"medium, not critical: loopback only"`},
	} {
		out := string(writeStream(t, tc.f, tc.opts, streamInfo(), rs, streamStats()))
		if !strings.Contains(out, tc.want) || strings.Count(out, "loopback only") != 1 {
			t.Errorf("%s: want %s once:\n%s", tc.f, tc.want, out)
		}
	}
}

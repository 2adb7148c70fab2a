package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/netip"
	"strings"
	"testing"

	"github.com/ajarsec/ajar/record"
)

var testViolations = []record.Violation{
	{Type: record.UnexpectedOpen, Host: netip.MustParseAddr("10.0.0.5"), Proto: record.TCP, Port: 3306, Source: "scan",
		Observed: "open at 10.0.0.5:3306 (mysql)", Expected: "closed: no allow entry names it", Rule: "web.yaml:3",
		Remediation: "close tcp/3306 on the host"},
	{Type: record.RequiredMissing, Host: netip.MustParseAddr("10.0.0.5"), Proto: record.TCP, Port: 80, Source: "scan",
		Observed: "not open", Expected: "open (required: true)", Rule: "web.yaml:7", Remediation: "start <nginx> & co"},
	{Type: record.FindingViolation, Host: netip.MustParseAddr("10.0.0.5"), Proto: record.TCP, Port: 6379, Source: "scan",
		Observed: "redis-no-auth (critical)", Expected: "no finding at or above high", Rule: "web.yaml:2",
		Finding: &record.Finding{ID: "redis-no-auth", Severity: record.Critical}},
}

var testCheck = CheckInfo{Policy: "web.yaml", Subjects: []string{"10.0.0.5", "10.0.0.6"}, Args: []string{"ajar", "check"}}

func TestViolationsTable(t *testing.T) {
	var b bytes.Buffer
	if err := WriteViolations(&b, Table, testViolations, testCheck, Style{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, frag := range []string{"FAIL: 3 violations of web.yaml", "Open, and the policy does not allow it:\n  - tcp/3306 on 10.0.0.5",
		"Required, and not open:\n  + tcp/80 on 10.0.0.5: not open", "(rule web.yaml:7)", "fix: close tcp/3306"} {
		if !strings.Contains(out, frag) {
			t.Errorf("table lacks %q:\n%s", frag, out)
		}
	}
	b.Reset()
	WriteViolations(&b, Table, nil, testCheck, Style{})
	if !strings.HasPrefix(b.String(), "OK: compliant: 10.0.0.5, 10.0.0.6") {
		t.Errorf("compliant: %q", b.String())
	}
}

func TestViolationsJSON(t *testing.T) {
	var b bytes.Buffer
	WriteViolations(&b, JSONL, testViolations, testCheck, Style{})
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines", len(lines))
	}
	var v record.Violation
	if err := json.Unmarshal([]byte(lines[0]), &v); err != nil || v.Type != record.UnexpectedOpen || v.Port != 3306 || v.Proto != record.TCP || v.Rule != "web.yaml:3" {
		t.Errorf("%v %+v", err, v)
	}
	b.Reset()
	WriteViolations(&b, JSON, nil, testCheck, Style{})
	if strings.TrimSpace(b.String()) != "[]" {
		t.Errorf("empty: %q", b.String())
	}
}

func TestViolationsJUnit(t *testing.T) {
	var b bytes.Buffer
	if err := WriteViolations(&b, JUnit, testViolations, testCheck, Style{}); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	s := doc.Suites[0]
	if doc.Tests != 4 || doc.Failures != 3 || s.Cases[3].Failure != nil || s.Cases[3].Classname != "ajar.policy.10.0.0.6" {
		t.Errorf("%+v", doc)
	}
	if f := s.Cases[1].Failure; f == nil || f.Type != "required-missing" || !strings.Contains(f.Text, "start <nginx> & co") {
		t.Errorf("%+v", s.Cases[1])
	}
}

func TestViolationsSARIF(t *testing.T) {
	sch := sarifSchemaFor(t)
	for _, vs := range [][]record.Violation{testViolations, nil} {
		var b bytes.Buffer
		if err := WriteViolations(&b, SARIF, vs, testCheck, Style{}); err != nil {
			t.Fatal(err)
		}
		if err := validate(sch, b.Bytes()); err != nil {
			t.Errorf("SARIF: %v\n%s", err, b.String())
		}
		if len(vs) > 0 && !strings.Contains(b.String(), `"region":{"startLine":7}`) {
			t.Errorf("no region: %s", b.String())
		}
	}
}

func TestParseCheckFormat(t *testing.T) {
	if f, err := ParseCheckFormat("JUNIT"); err != nil || f != JUnit {
		t.Errorf("%v %v", f, err)
	}
	if _, err := ParseCheckFormat("xml"); err == nil || !strings.Contains(err.Error(), "table, json, jsonl, junit, sarif") {
		t.Errorf("%v", err)
	}
}

// TestViolationsInStream: the JSON Lines writer of the record stream takes
// violation records too.
func TestViolationsInStream(t *testing.T) {
	var b bytes.Buffer
	w, err := New(JSONL, &b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	w.Begin(RunInfo{})
	w.Write(&testViolations[0])
	w.End(RunStats{})
	var v record.Violation
	if err := json.Unmarshal(b.Bytes(), &v); err != nil || v.Type != record.UnexpectedOpen || v.Port != 3306 {
		t.Errorf("%v %+v\n%s", err, v, b.String())
	}
}

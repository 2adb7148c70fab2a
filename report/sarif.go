package report

import (
	"encoding/json"
	"io"
	"net"
	"strconv"

	"github.com/ajarsec/ajar/record"
)

// SARIF is the Static Analysis Results Interchange Format 2.1.0 (OASIS),
// which code-scanning dashboards read: the audit's findings as results.
const SARIF Format = "sarif"

func init() {
	register(FormatSpec{
		Name:        SARIF,
		Description: "SARIF 2.1.0: the audit's findings (--audit) as results, for code-scanning dashboards",
		Kinds:       []string{"port", "host"},
		New: func(w io.Writer, _ Options) Writer {
			return &sarifWriter{o: newOut(w), index: map[string]int{}}
		},
	})
}

// sarifWriter writes one SARIF log with one run: each finding a result,
// written as it comes, each finding ID a rule of the tool, written at End
// (a JSON object's members may come in any order). It keeps one rule per
// distinct finding ID, nothing per result.
type sarifWriter struct {
	o       *out
	info    RunInfo
	rules   []sarifRule
	index   map[string]int
	n       int
	begun   bool
	ended   bool
	scratch []byte
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID               string         `json:"id"`
	Name             string         `json:"name"`
	ShortDescription sarifText      `json:"shortDescription"`
	Help             *sarifText     `json:"help,omitempty"`
	DefaultConfig    sarifConfig    `json:"defaultConfiguration"`
	Properties       map[string]any `json:"properties"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Kind                string            `json:"kind"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          map[string]any    `json:"properties"`
}

type sarifLocation struct {
	Physical sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	Artifact sarifArtifact `json:"artifactLocation"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

// sarifLevel is SARIF's level for a severity.
func sarifLevel(s record.Severity) string {
	switch {
	case s >= record.High:
		return "error"
	case s == record.Medium:
		return "warning"
	}
	return "note"
}

// securitySeverity is the CVSS-like score code-scanning dashboards sort
// security results by (the rule property "security-severity").
func securitySeverity(s record.Severity) string {
	return [...]string{"0.0", "0.0", "3.0", "5.5", "8.0", "9.5"}[min(int(s), int(record.Critical))]
}

func (s *sarifWriter) Begin(ri RunInfo) error {
	if s.o.err != nil || s.begun {
		return s.o.err
	}
	s.begun, s.info = true, ri
	s.o.WriteString(`{"$schema":"https://json.schemastore.org/sarif-2.1.0.json","version":"2.1.0","runs":[{"results":[`)
	return s.o.err
}

func (s *sarifWriter) Write(r record.Record) error {
	if s.o.err != nil {
		return s.o.err
	}
	p, ok := r.(*record.PortResult)
	if !ok {
		return nil
	}
	for i := range p.Findings {
		if err := s.result(p, &p.Findings[i]); err != nil {
			return err
		}
	}
	return nil
}

func (s *sarifWriter) result(p *record.PortResult, f *record.Finding) error {
	idx, ok := s.index[f.ID]
	if !ok {
		idx = len(s.rules)
		s.index[f.ID] = idx
		rule := sarifRule{ID: f.ID, Name: f.ID, ShortDescription: sarifText{f.Title},
			DefaultConfig: sarifConfig{sarifLevel(f.Severity)},
			Properties: map[string]any{"category": string(f.Category), "security-severity": securitySeverity(f.Severity),
				"tags": []string{"security", string(f.Category)}}}
		if f.Remediation != "" {
			rule.Help = &sarifText{f.Remediation}
		}
		if len(f.References) > 0 {
			rule.Properties["references"] = f.References
		}
		s.rules = append(s.rules, rule)
	}
	where := p.Proto.String() + "://" + net.JoinHostPort(p.Host.String(), strconv.Itoa(int(p.Port)))
	msg := f.Title + " on " + where
	if f.Evidence != "" {
		msg += ": " + f.Evidence
	}
	props := map[string]any{"severity": f.Severity.String(), "confidence": string(f.Confidence), "host": p.Host.String(),
		"port": p.Port, "protocol": p.Proto.String()}
	if p.Hostname != "" {
		props["hostname"] = p.Hostname
	}
	if p.Service != nil {
		props["service"] = p.Service.Name
	}
	if f.Exposure != record.ExposureUnknown {
		props["exposure"], props["severity_reason"] = f.Exposure.String(), f.SeverityReason
	}
	res := sarifResult{RuleID: f.ID, RuleIndex: idx, Kind: "fail", Level: sarifLevel(f.Severity),
		Message: sarifText{msg}, Locations: []sarifLocation{{sarifPhysical{sarifArtifact{where}}}},
		PartialFingerprints: map[string]string{"ajarFinding/v1": f.ID + "@" + where}, Properties: props}
	b, err := json.Marshal(res)
	if err != nil {
		return s.o.keep(err)
	}
	if s.n > 0 {
		s.o.WriteByte(',')
	}
	s.o.WriteString("\n")
	s.o.Write(b)
	s.n++
	return s.o.err
}

func (s *sarifWriter) End(st RunStats) error {
	if s.o.err != nil || s.ended {
		return s.o.err
	}
	if !s.begun {
		s.Begin(RunInfo{})
	}
	s.ended = true
	rules := s.rules
	if rules == nil {
		rules = []sarifRule{}
	}
	tool := map[string]any{"driver": map[string]any{"name": "ajar", "version": cmpOr(s.info.Version, "devel"),
		"informationUri": "https://github.com/ajarsec/ajar", "rules": rules}}
	inv := map[string]any{"executionSuccessful": !st.Interrupted}
	if len(s.info.Args) > 0 {
		inv["commandLine"] = shellJoin(s.info.Args)
	}
	if !s.info.Start.IsZero() {
		inv["startTimeUtc"] = s.info.Start.UTC().Format("2006-01-02T15:04:05Z")
	}
	if !st.End.IsZero() {
		inv["endTimeUtc"] = st.End.UTC().Format("2006-01-02T15:04:05Z")
	}
	b, err := json.Marshal(map[string]any{"tool": tool, "invocations": []any{inv}})
	if err != nil {
		return s.o.keep(err)
	}
	s.o.WriteString("\n],")
	s.o.Write(b[1 : len(b)-1]) // the members, after results
	s.o.WriteString("}]}\n")
	return s.o.flush()
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

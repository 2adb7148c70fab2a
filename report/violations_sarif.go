package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/ajarsec/ajar/record"
)

// violationLevel is SARIF's level of a violation: a port open or exposed
// against the policy is an error, the rest warnings (a finding keeps its
// severity's level).
func violationLevel(v *record.Violation) string {
	switch v.Type {
	case record.UnexpectedOpen, record.WrongExposure:
		return "error"
	case record.FindingViolation:
		if v.Finding != nil {
			return sarifLevel(v.Finding.Severity)
		}
	}
	return "warning"
}

var violationTitles = map[record.ViolationType]string{
	record.UnexpectedOpen:   "A port is open that the policy does not allow",
	record.RequiredMissing:  "A port the policy requires is not open",
	record.WrongExposure:    "A port is reachable from further than the policy allows",
	record.WrongProcess:     "A port is owned by another process or user than the policy says",
	record.WrongService:     "Another service answers on a port than the policy says",
	record.FindingViolation: "An audit finding at or above the policy's threshold",
}

// violationsSARIF writes a check as one SARIF 2.1.0 run: a rule per
// violation type, a result per violation located at the policy line that
// decided it, so that code scanning underlines the policy.
func violationsSARIF(w *bufio.Writer, vs []record.Violation, ci CheckInfo) error {
	var rules []sarifRule
	index := map[record.ViolationType]int{}
	results := []map[string]any{}
	for i := range vs {
		v := &vs[i]
		idx, ok := index[v.Type]
		if !ok {
			idx = len(rules)
			index[v.Type] = idx
			rules = append(rules, sarifRule{ID: "policy/" + string(v.Type), Name: string(v.Type),
				ShortDescription: sarifText{violationTitles[v.Type]}, DefaultConfig: sarifConfig{violationLevel(v)},
				Properties: map[string]any{"tags": []string{"security", "policy"}}})
		}
		file, line := splitRule(v.Rule)
		loc := map[string]any{"artifactLocation": map[string]any{"uri": file}}
		if line > 0 {
			loc["region"] = map[string]any{"startLine": line}
		}
		where := fmt.Sprintf("%s/%d on %s", v.Proto, v.Port, v.Host)
		results = append(results, map[string]any{
			"ruleId": "policy/" + string(v.Type), "ruleIndex": idx, "kind": "fail", "level": violationLevel(v),
			"message":             sarifText{fmt.Sprintf("%s: %s (want %s). Fix: %s", where, v.Observed, v.Expected, v.Remediation)},
			"locations":           []any{map[string]any{"physicalLocation": loc}},
			"partialFingerprints": map[string]string{"ajarViolation/v1": string(v.Type) + "@" + where},
			"properties": map[string]any{"host": v.Host.String(), "port": v.Port, "protocol": v.Proto.String(),
				"source": v.Source, "rule": v.Rule},
		})
	}
	if rules == nil {
		rules = []sarifRule{}
	}
	inv := map[string]any{"executionSuccessful": true}
	if len(ci.Args) > 0 {
		inv["commandLine"] = shellJoin(ci.Args)
	}
	run := map[string]any{
		"tool": map[string]any{"driver": map[string]any{"name": "ajar", "version": cmpOr(ci.Version, "devel"),
			"informationUri": "https://github.com/ajarsec/ajar", "rules": rules}},
		"results": results, "invocations": []any{inv},
	}
	b, err := json.Marshal(map[string]any{"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": []any{run}})
	if err != nil {
		return err
	}
	w.Write(b)
	return w.WriteByte('\n')
}

// splitRule splits FILE:LINE.
func splitRule(rule string) (string, int) {
	i := strings.LastIndexByte(rule, ':')
	if i < 0 {
		return rule, 0
	}
	n, err := strconv.Atoi(rule[i+1:])
	if err != nil {
		return rule, 0
	}
	return rule[:i], n
}

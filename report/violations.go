package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/ajarsec/ajar/record"
)

// JUnit is JUnit's XML report, which CI systems show as test results:
// written for a policy check (ajar check), one test case per violation.
const JUnit Format = "junit"

// CheckInfo describes a policy check, for its outputs.
type CheckInfo struct {
	// Policy is the policy file's path.
	Policy string
	// Subjects are what was checked: host addresses, or "this machine".
	Subjects []string
	// Args is the command line, program name first.
	Args       []string
	Start, End time.Time
	Version    string
}

// CheckFormats are the formats ajar check writes.
var CheckFormats = []Format{Table, JSON, JSONL, JUnit, SARIF}

// ParseCheckFormat checks a format name given for a check's output.
func ParseCheckFormat(s string) (Format, error) {
	f := Format(strings.ToLower(s))
	if slices.Contains(CheckFormats, f) {
		return f, nil
	}
	names := make([]string, len(CheckFormats))
	for i, c := range CheckFormats {
		names[i] = string(c)
	}
	return "", fmt.Errorf("unknown output format %q (want %s)", s, strings.Join(names, ", "))
}

// WriteViolations writes a check's violations, whole, in format f.
func WriteViolations(w io.Writer, f Format, vs []record.Violation, ci CheckInfo, st Style) error {
	bw := bufio.NewWriter(w)
	var err error
	switch f {
	case Table:
		err = violationsTable(bw, vs, ci, st)
	case JSON, JSONL:
		err = violationsJSON(bw, vs, f == JSON)
	case JUnit:
		err = violationsJUnit(bw, vs, ci)
	case SARIF:
		err = violationsSARIF(bw, vs, ci)
	default:
		return fmt.Errorf("a check cannot be written as %q", f)
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}

func violationsJSON(w *bufio.Writer, vs []record.Violation, array bool) error {
	if array {
		if vs == nil {
			vs = []record.Violation{}
		}
		b, err := json.MarshalIndent(vs, "", "  ")
		if err != nil {
			return err
		}
		w.Write(b)
		return w.WriteByte('\n')
	}
	enc := json.NewEncoder(w)
	for i := range vs {
		if err := enc.Encode(&vs[i]); err != nil {
			return err
		}
	}
	return nil
}

// violationGroups are the table's sections: what is open that should not
// be, what should be open and is not, and the rest.
var violationGroups = []struct {
	mark, title string
	types       []record.ViolationType
}{
	{"-", "Open, and the policy does not allow it", []record.ViolationType{record.UnexpectedOpen}},
	{"+", "Required, and not open", []record.ViolationType{record.RequiredMissing}},
	{"~", "Open as allowed, but not as the policy says", []record.ViolationType{record.WrongExposure, record.WrongProcess, record.WrongService}},
	{"!", "Findings at or above the policy's threshold", []record.ViolationType{record.FindingViolation}},
}

// violationsTable writes the short diff people read: a section per kind
// of difference, each violation with what is there, what the policy
// wants, the rule that decided it and the fix.
func violationsTable(w *bufio.Writer, vs []record.Violation, ci CheckInfo, st Style) error {
	subjects := strings.Join(ci.Subjects, ", ")
	if len(vs) == 0 {
		fmt.Fprintf(w, "%s: compliant: %s matches the policy\n", colorize(st, ansiGreen, "OK"), orDash(subjects))
		return nil
	}
	n := "violations"
	if len(vs) == 1 {
		n = "violation"
	}
	fmt.Fprintf(w, "%s: %d %s of %s (%s)\n", colorize(st, ansiRed, "FAIL"), len(vs), n, ci.Policy, orDash(subjects))
	for _, g := range violationGroups {
		first := true
		for _, v := range vs {
			if !slices.Contains(g.types, v.Type) {
				continue
			}
			if first {
				fmt.Fprintf(w, "\n%s\n", colorize(st, ansiBold, g.title+":"))
				first = false
			}
			where := v.Host.String()
			if v.Hostname != "" {
				where = v.Hostname + " (" + where + ")"
			}
			fmt.Fprintf(w, "  %s %s/%d on %s: %s\n", g.mark, v.Proto, v.Port, where, v.Observed)
			fmt.Fprintf(w, "      %s  want %s  (rule %s)\n", v.Type, v.Expected, v.Rule)
			if v.Remediation != "" {
				fmt.Fprintf(w, "      fix: %s\n", v.Remediation)
			}
		}
	}
	return nil
}

func colorize(st Style, code, s string) string {
	if !st.Color {
		return s
	}
	return code + s + ansiReset
}

// appendViolationJSON writes a violation as the JSON object its field tags
// say (type, host, proto, port, source, observed, expected, rule,
// remediation, ...): the same object -o json writes for ajar check.
func appendViolationJSON(b jsonBuf, v *record.Violation) jsonBuf {
	out, err := json.Marshal(v)
	if err != nil {
		return append(b, "null"...) // a Violation always marshals: its fields are plain
	}
	return append(b, out...)
}

package report

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"strings"

	"github.com/ajarsec/ajar/record"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr,omitempty"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Failure   *junitFailure `xml:"failure"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// violationsJUnit writes a check as JUnit XML: one suite, a failing test
// case per violation (class: the host; name: the port and the kind), and
// a passing one for each subject with no violation, so that a compliant
// run shows green tests rather than none.
func violationsJUnit(w *bufio.Writer, vs []record.Violation, ci CheckInfo) error {
	suite := junitSuite{Name: "ajar check " + ci.Policy, Time: "0"}
	if !ci.Start.IsZero() && !ci.End.IsZero() {
		suite.Time = fmt.Sprintf("%.3f", ci.End.Sub(ci.Start).Seconds())
		suite.Timestamp = ci.Start.UTC().Format("2006-01-02T15:04:05")
	}
	failed := map[string]bool{}
	for _, v := range vs {
		host := v.Host.String()
		failed[host] = true
		file, _, _ := strings.Cut(v.Rule, ":")
		text := fmt.Sprintf("observed: %s\nexpected: %s\nrule: %s\nfix: %s\n", v.Observed, v.Expected, v.Rule, v.Remediation)
		suite.Cases = append(suite.Cases, junitCase{
			Classname: "ajar.policy." + host, Name: fmt.Sprintf("%s/%d %s", v.Proto, v.Port, v.Type), File: file,
			Failure: &junitFailure{Message: fmt.Sprintf("%s/%d: %s (want %s)", v.Proto, v.Port, v.Observed, v.Expected), Type: string(v.Type), Text: text},
		})
	}
	for _, s := range ci.Subjects {
		if !failed[s] {
			suite.Cases = append(suite.Cases, junitCase{Classname: "ajar.policy." + s, Name: "complies with " + ci.Policy})
		}
	}
	if len(suite.Cases) == 0 {
		suite.Cases = append(suite.Cases, junitCase{Classname: "ajar.policy", Name: "complies with " + ci.Policy})
	}
	suite.Tests, suite.Failures = len(suite.Cases), len(vs)
	doc := junitSuites{Name: "ajar check", Tests: suite.Tests, Failures: suite.Failures, Suites: []junitSuite{suite}}
	w.WriteString(xml.Header)
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	return w.WriteByte('\n')
}

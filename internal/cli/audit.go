package cli

import (
	"fmt"
	"strings"

	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/run"
)

// auditConfig is the audit the scan flags ask for; nil for none.
func auditConfig(f *scanFlags) (*run.AuditConfig, error) {
	if f.failOn != "" {
		if _, err := record.ParseSeverity(f.failOn); err != nil {
			return nil, usageErrorf("bad --fail-on: %v", err)
		}
		if !f.audit && !f.auditIntrusive {
			return nil, usageErrorf("--fail-on judges the audit's findings: add --audit")
		}
	}
	if f.findingsCSV {
		csvOut := f.output == "csv"
		for _, s := range f.saves {
			csvOut = csvOut || strings.HasPrefix(s, "csv:")
		}
		switch {
		case !f.audit && !f.auditIntrusive:
			return nil, usageErrorf("--findings lists the audit's findings: add --audit")
		case !csvOut:
			return nil, usageErrorf("--findings is a CSV layout: add -o csv or --save csv:FILE")
		}
	}
	if !f.audit && !f.auditIntrusive {
		return nil, nil
	}
	if f.disc.pingOnly {
		return nil, usageErrorf("-sn (--ping-only) scans no port: --audit has nothing to judge")
	}
	return &run.AuditConfig{Intrusive: f.auditIntrusive}, nil
}

// failOn is the scan's error when --fail-on is given and a finding at or
// above it was written: exit 1.
func failOn(f *scanFlags, worst record.Severity) error {
	if f.failOn == "" {
		return nil
	}
	min, err := record.ParseSeverity(f.failOn)
	if err != nil {
		return usageErrorf("bad --fail-on: %v", err)
	}
	if worst >= min {
		return failure(fmt.Errorf("the audit found a risk of severity %s (--fail-on %s)", worst, min))
	}
	return nil
}

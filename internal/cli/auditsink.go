package cli

import (
	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/report"
	"github.com/ajarsec/ajar/run"
)

// errSaid ends ajar with an exit code and no message of its own: the
// ajar that ran inside a namespace has said it already.
var errSaid = errSaidType{}

type errSaidType struct{}

func (errSaidType) Error() string { return "" }

// auditSink weighs each port's findings by its listener's exposure, then
// writes the record: to the one-screen summary (table), or to the
// formats of the record stream.
type auditSink struct {
	exposures *audit.Exposures
	table     bool
	env       *Env
	style     report.Style
	out       *outputs // the stream's formats; nil for the table
	items     []report.LocalFinding
	sum       report.LocalSummary
	worst     record.Severity
}

func newAuditSink(env *Env, f *auditFlags, ls []audit.Listener) (*auditSink, error) {
	s := &auditSink{exposures: audit.NewExposures(ls), env: env,
		style: report.Style{Verbose: f.verbose, Color: colorWanted(env.Stdout)}}
	s.sum.Listeners = len(ls)
	format, err := report.ParseScanFormat(f.output)
	if err != nil {
		return nil, auditUsage("%v", err)
	}
	if format == report.Table && len(f.saves) == 0 {
		s.table = true
		return s, nil
	}
	s.out, err = openOutputs(env, f.output, true, f.saves, report.Options{})
	return s, err
}

func (s *auditSink) Begin(info run.Info) error {
	if s.table {
		return nil
	}
	return s.out.w.Begin(report.RunInfo{Args: []string{"ajar", "audit"}, Start: info.Start, Version: s.env.Version})
}

func (s *auditSink) Write(r record.Record) error {
	p, ok := r.(*record.PortResult)
	if ok {
		l, _ := s.exposures.Weigh(p)
		s.worst = max(s.worst, record.Worst(p.Findings))
		if p.Service != nil && p.Service.Method != "port-table" {
			s.sum.Identified++
		}
		if s.table {
			for _, f := range p.Findings {
				s.items = append(s.items, report.LocalFinding{Finding: f, Port: p, Socket: l.Socket})
			}
		}
	}
	if s.table {
		return nil
	}
	return s.out.w.Write(r)
}

func (s *auditSink) End(sum run.Summary) error {
	if s.table {
		s.sum.Interrupted = sum.Interrupted
		return report.WriteLocalAudit(s.env.Stdout, s.items, s.sum, s.style)
	}
	return s.out.w.End(report.RunStats{End: sum.End, HostsTotal: int(min(sum.Hosts, 1<<31)),
		HostsDone: int(min(sum.HostsDone, 1<<31)), Interrupted: sum.Interrupted})
}

func (s *auditSink) close() error {
	if s.out == nil {
		return nil
	}
	return s.out.close()
}

package cli

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ajarsec/ajar/diff"
	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/store"
)

func init() { registerCommand(newDiffCmd) }

type diffFlags struct {
	db       string
	output   string
	kind     string
	settle   int
	exitCode bool
}

// maxSeries bounds the stored runs a diff follows between A and B.
const maxSeries = 100

func newDiffCmd(env *Env) *cobra.Command {
	var f diffFlags
	cmd := &cobra.Command{
		Use:   "diff A B",
		Short: "Show what changed between two scans: stored runs or result files",
		Long: `Show what changed from A to B: hosts up and down, ports opened, closed or in
another state, services and versions that changed, findings new and fixed.
Changes are keyed on host, protocol and port, never on pids, times or
formatting: a daemon restarted with a new pid is no change.

A and B are stored runs (a number from 'ajar history', 'last', 'last~N': the
Nth scan before the newest, '@WHEN': the newest scan as of WHEN) or files:
ajar JSON or JSON Lines, nmap XML (as nmap or ajar writes it), masscan JSON
(-oJ) or list (-oL), naabu JSON. WHEN is a date (@2026-12-01: as of that
day's end), a date and time (@2026-12-01T15:04), @today, @yesterday, a
weekday (@tuesday: the last Tuesday before today) or an age (@36h, @7d, @2w).

Between two stored scans of the same targets, each change is followed
through the scans in between: a port that opened and closed again is
flagged flapping, one opened after it had closed reopened. --settle N
reports a change only once the last N of those scans agree on it (a port
that answered once is not an alert until it stays open).

Output: text for people (+ appeared, - went, ~ changed), json or jsonl (one
object a change with host, proto, port, change, before, after), xml (the
shape of ndiff's XML). --exit-code exits 1 when anything changed, for cron
and CI.`,
		Example: `  ajar diff last~1 last                    the last two scans
  ajar diff 12 last -o json                run 12 against the newest scan
  ajar diff @tuesday last                  what changed since last Tuesday
  ajar diff monday.xml today.xml           two nmap XML files
  ajar diff last~3 last --settle 3         changes that held over three scans
  ajar scan -p- 10.0.0.0/24 -q -o table >/dev/null && ajar diff last~1 last --exit-code`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error { return runDiff(cmd, env, &f, args[0], args[1]) },
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "text", "output `FORMAT`: text, json, jsonl or xml")
	fl.IntVar(&f.settle, "settle", 0, "report a change only when the last `N` stored scans up to B agree on it")
	fl.BoolVar(&f.exitCode, "exit-code", false, "exit 1 when anything changed, 0 when nothing did")
	fl.StringVar(&f.kind, "kind", "scan", "the kind of run last, last~N and @WHEN count: scan, identify, sockets, audit, check or import")
	fl.StringVar(&f.db, "db", "", "read the history in `URL` (postgres://..., or a SQLite file) instead of the data directory's")
	return cmd
}

func runDiff(cmd *cobra.Command, env *Env, f *diffFlags, refA, refB string) error {
	switch f.output {
	case diff.Text, diff.JSON, diff.JSONL, diff.XML:
	default:
		return usageErrorf("bad --output %q: want text, json, jsonl or xml", f.output)
	}
	if f.settle < 0 || f.settle > maxSeries {
		return usageErrorf("bad --settle %d: want 1 to %d scans", f.settle, maxSeries)
	}
	src := &diffSources{cmd: cmd, env: env, f: f}
	defer src.close()
	a, runA, err := src.side(refA)
	if err != nil {
		return err
	}
	b, runB, err := src.side(refB)
	if err != nil {
		return err
	}
	scans := []*diff.Scan{a, b}
	if runA != nil && runB != nil {
		if scans, err = src.series(runA, runB, a, b); err != nil {
			return err
		}
	} else if f.settle > 1 {
		return usageErrorf("--settle follows stored scans: A and B must both be runs of the history")
	}
	changes, unsettled := diff.Series(scans, f.settle)
	rep := &diff.Report{A: a, B: b, Scans: len(scans), Changes: changes, Unsettled: unsettled}
	if err := diff.Write(env.Stdout, f.output, rep); err != nil {
		return failure(err)
	}
	if f.exitCode && len(changes) > 0 {
		return failure(fmt.Errorf("%d change(s) from %s to %s (--exit-code)", len(changes), a.Label, b.Label))
	}
	return nil
}

// diffSources opens the sides of a diff: files, or runs of the history
// (opened once, when a side needs it).
type diffSources struct {
	cmd *cobra.Command
	env *Env
	f   *diffFlags
	st  *store.Store
}

func (d *diffSources) close() {
	if d.st != nil {
		d.st.Close()
	}
}

// side reads one side: a file when ref names one, else a stored run.
func (d *diffSources) side(ref string) (*diff.Scan, *store.Run, error) {
	if fi, err := os.Stat(ref); err == nil && !fi.IsDir() {
		file, err := diff.ReadFile(ref)
		if err != nil {
			return nil, nil, usageErrorf("%v", err)
		}
		return diff.FromFile(ref, file), nil, nil
	}
	if _, err := strconv.ParseInt(ref, 10, 64); err != nil && !isLastRef(ref) && !strings.HasPrefix(ref, "@") {
		return nil, nil, usageErrorf("%q is neither a file nor a run (%s; see 'ajar history')", ref, store.RefSyntax)
	}
	if d.st == nil {
		st, err := openStore(d.cmd.Context(), d.env, d.f.db)
		if err != nil {
			return nil, nil, failure(err)
		}
		d.st = st
	}
	r, err := resolveRun(d.cmd, d.st, ref, store.Kind(d.f.kind))
	if err != nil {
		return nil, nil, err
	}
	s, err := d.load(&r)
	return s, &r, err
}

func isLastRef(ref string) bool { return ref == "last" || len(ref) > 5 && ref[:5] == "last~" }

// load reads a stored run as a scan.
func (d *diffSources) load(r *store.Run) (*diff.Scan, error) {
	s := diff.NewScan("run "+strconv.FormatInt(r.ID, 10), r.Started)
	err := d.st.Records(d.cmd.Context(), r.ID, func(rec record.Record) error {
		s.Add(rec)
		return nil
	})
	if err != nil {
		return nil, failure(err)
	}
	return s, nil
}

// series is the stored scans from a to b: the runs between them of the
// same kind and targets as b, at most maxSeries in all.
func (d *diffSources) series(ra, rb *store.Run, a, b *diff.Scan) ([]*diff.Scan, error) {
	if ra.ID >= rb.ID {
		return []*diff.Scan{a, b}, nil
	}
	runs, err := d.st.Runs(d.cmd.Context(), store.Filter{Kind: rb.Kind})
	if err != nil {
		return nil, failure(err)
	}
	var mid []store.Run
	for _, r := range runs {
		if r.ID > ra.ID && r.ID < rb.ID && r.Targets == rb.Targets {
			mid = append(mid, r)
		}
	}
	if len(mid) > maxSeries-2 {
		mid = mid[len(mid)-(maxSeries-2):]
	}
	scans := []*diff.Scan{a}
	for i := range mid {
		s, err := d.load(&mid[i])
		if err != nil {
			return nil, err
		}
		scans = append(scans, s)
	}
	return append(scans, b), nil
}

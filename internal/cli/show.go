package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/report"
	"github.com/ajarsec/ajar/run"
	"github.com/ajarsec/ajar/store"
)

func init() { registerCommand(newShowCmd) }

type showFlags struct {
	db       string
	output   string
	saves    []string
	allPorts bool
}

func newShowCmd(env *Env) *cobra.Command {
	var f showFlags
	cmd := &cobra.Command{
		Use:   "show RUN",
		Short: "Print a run kept in the history, in any output format",
		Long: `Print a run from the history (see 'ajar history') as the scan printed it, in
any output format: -o xml gives nmap XML that nmap's tools read (ndiff,
xsltproc), -o jsonl JSON Lines for scripts. RUN is a run's number, 'last'
(the newest run), 'last~N' (the Nth before it) or '@WHEN' (the newest run
as of WHEN: @2026-12-01, @tuesday, @7d; see 'ajar diff --help'). A socket
listing prints as 'ajar sockets' did.`,
		Example: `  ajar show last                  the newest run, as a table
  ajar show 12 -o xml > scan.xml  run 12 as nmap XML
  ndiff old.xml scan.xml
  ajar show last~1 -o jsonl --all-ports`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runShow(cmd, env, &f, args[0]) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.db, "db", "", "read the history in `URL` (postgres://..., or a SQLite file) instead of the data directory's")
	fl.StringVarP(&f.output, "output", "o", "table", "output `FORMAT`: "+report.FormatNames())
	fl.StringArrayVar(&f.saves, "save", nil, "also write `FORMAT:PATH` (repeatable)")
	fl.BoolVar(&f.allPorts, "all-ports", false, "write closed and filtered ports too, not only open ones")
	return cmd
}

// resolveRun finds the run a user names, as a usage error when it is not
// there.
func resolveRun(cmd *cobra.Command, st *store.Store, ref string, kind store.Kind) (store.Run, error) {
	r, err := st.Resolve(cmd.Context(), ref, kind)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if runs, lerr := st.Runs(cmd.Context(), store.Filter{Limit: 1}); lerr == nil && len(runs) == 0 {
			return r, usageErrorf("%v", errNoHistory)
		}
		if kind != "" {
			// last and last~N count runs of one kind: say which.
			return r, usageErrorf("%v of kind %s (see 'ajar history'; --kind counts another kind)", err, kind)
		}
		return r, usageErrorf("%v (see 'ajar history')", err)
	case err != nil && strings.HasPrefix(err.Error(), "bad run"):
		return r, usageErrorf("%v", err)
	case err != nil:
		return r, failure(err)
	}
	return r, nil
}

func runShow(cmd *cobra.Command, env *Env, f *showFlags, ref string) error {
	st, err := openStore(cmd.Context(), env, f.db)
	if err != nil {
		return failure(err)
	}
	defer st.Close()
	r, err := resolveRun(cmd, st, ref, "")
	if err != nil {
		return err
	}
	if r.Kind == store.KindSockets {
		return showSockets(cmd, env, st, &r, f)
	}
	end := r.Ended
	if end.IsZero() {
		end = r.Started
	}
	out, err := openOutputs(env, f.output, cmd.Flags().Changed("output"), f.saves,
		report.Options{AllPorts: f.allPorts, Now: func() time.Time { return end }})
	if err != nil {
		return err
	}
	err = replay(cmd, st, &r, out.w)
	if cerr := out.close(); err == nil && cerr != nil {
		err = fmt.Errorf("writing results: %w", cerr)
	}
	return failure(err)
}

// replay writes a stored run to w as the run wrote it.
func replay(cmd *cobra.Command, st *store.Store, r *store.Run, w report.Writer) error {
	var info run.Info
	if err := json.Unmarshal([]byte(r.Info), &info); err != nil {
		return fmt.Errorf("run %d: %w", r.ID, err)
	}
	ri := report.RunInfo{Args: strings.Fields(r.Args), Start: r.Started, Shards: int(info.Shards), PingOnly: info.PingOnly}
	for _, si := range info.Scans {
		ri.Scans = append(ri.Scans, report.ScanInfo{Type: si.Type, Proto: si.Proto, Ports: si.Ports, NumPorts: si.NumPorts})
	}
	if err := w.Begin(ri); err != nil {
		return err
	}
	done := 0
	err := st.Records(cmd.Context(), r.ID, func(rec record.Record) error {
		if _, ok := rec.(*record.Host); ok {
			done++
		}
		return w.Write(rec)
	})
	end := r.Ended
	if end.IsZero() {
		end = r.Started
	}
	stats := report.RunStats{End: end, HostsTotal: int(max(r.Hosts, int64(done))), HostsDone: done, Interrupted: !r.Complete}
	return errors.Join(err, w.End(stats))
}

func showSockets(cmd *cobra.Command, env *Env, st *store.Store, r *store.Run, f *showFlags) error {
	format, err := report.ParseFormat(f.output)
	if err != nil {
		return usageErrorf("%v", err)
	}
	if len(f.saves) > 0 {
		return usageErrorf("--save is for scans: run %d is a socket listing (redirect standard output instead)", r.ID)
	}
	var ss []record.Socket
	err = st.Records(cmd.Context(), r.ID, func(rec record.Record) error {
		if s, ok := rec.(*record.Socket); ok {
			ss = append(ss, *s)
		}
		return nil
	})
	if err != nil {
		return failure(err)
	}
	return failure(report.WriteSockets(env.Stdout, format, ss, report.Style{Color: colorWanted(env.Stdout)}))
}

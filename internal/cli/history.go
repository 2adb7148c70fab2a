package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ajarsec/ajar/internal/datadir"
	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/run"
	"github.com/ajarsec/ajar/store"
)

func init() { registerCommand(newHistoryCmd) }

// storeFlags choose where a command records its run: --no-store and --db.
type storeFlags struct {
	noStore bool
	db      string
}

func (f *storeFlags) register(fl *pflag.FlagSet) {
	fl.BoolVar(&f.noStore, "no-store", false, "do not record this run in the history (ajar history)")
	fl.StringVar(&f.db, "db", "", "record the run in `URL` (postgres://user@host/db, or a SQLite file) instead of the data directory's history.sqlite")
}

// openStore opens the history a command reads: --db, else the data
// directory's.
func openStore(ctx context.Context, env *Env, db string) (*store.Store, error) {
	if db != "" {
		return store.Open(ctx, db)
	}
	dir, err := datadir.Resolve(env.DataDir)
	if err != nil {
		return nil, err
	}
	return store.OpenDir(ctx, dir)
}

// storeWanted reports whether a run is recorded: not with --no-store, nor
// with AJAR_NO_STORE=1 in the environment (a test harness's switch).
func storeWanted(f *storeFlags) bool {
	return !f.noStore && os.Getenv("AJAR_NO_STORE") != "1"
}

// recorded tees a run's records to the history, when it is wanted. The
// history never fails the run, nor holds up its start (it is opened in
// the background): its first error is a warning on stderr, and the run
// goes on unrecorded.
func recorded(ctx context.Context, env *Env, f *storeFlags, kind store.Kind, args []string, sink run.Sink) run.Sink {
	if !storeWanted(f) {
		return sink
	}
	open := func(ctx context.Context) (*store.Store, error) { return openStore(ctx, env, f.db) }
	meta := store.Meta{Kind: kind, Targets: strings.Join(args, " "), Args: commandLine()}
	return &teeSink{Sink: sink, env: env, k: store.OpenSink(ctx, open, meta)}
}

func commandLine() string { return strings.Join(append([]string{"ajar"}, os.Args[1:]...), " ") }

// teeSink writes a run to its outputs and to the history.
type teeSink struct {
	run.Sink
	env    *Env
	k      *store.Sink
	warned bool // the history failed: the rest is not recorded
}

func (t *teeSink) warn(err error) {
	if err == nil || t.warned {
		return
	}
	t.warned = true
	fmt.Fprintf(t.env.Stderr, "ajar: warning: the run is not recorded in the history: %v (--no-store skips it)\n", oneLine(err.Error()))
}

func (t *teeSink) Begin(info run.Info) error {
	t.warn(t.k.Begin(info))
	return t.Sink.Begin(info)
}

func (t *teeSink) Write(r record.Record) error {
	if !t.warned {
		t.warn(t.k.Write(r))
	}
	return t.Sink.Write(r)
}

// End ends the outputs, then the history's run (which stops its writer
// and closes the store, even after an error).
func (t *teeSink) End(sum run.Summary) error {
	err := t.Sink.End(sum)
	t.warn(t.k.End(sum))
	return err
}

// recordSockets keeps a socket listing in the history, when it is wanted.
func recordSockets(cmd *cobra.Command, env *Env, f *storeFlags, at time.Time, ss []record.Socket) {
	if !storeWanted(f) {
		return
	}
	st, err := openStore(cmd.Context(), env, f.db)
	if err == nil {
		_, err = st.SaveSockets(cmd.Context(), store.Meta{Args: commandLine()}, at, ss)
		st.Close()
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "ajar: warning: the listing is not recorded in the history: %v (--no-store skips it)\n", oneLine(err.Error()))
	}
}

type historyFlags struct {
	db     string
	kind   string
	limit  int
	since  string
	output string
}

func newHistoryCmd(env *Env) *cobra.Command {
	var f historyFlags
	cmd := &cobra.Command{
		Use:   "history",
		Short: "List the runs kept in the history: scans, identifications, socket listings, imports",
		Long: `List the runs ajar recorded: every scan, identification and socket listing is
kept in the history by default (--no-store skips it), in history.sqlite in
ajar's data directory, or in the database --db names (a PostgreSQL URL, for
teams). Each run has a number; 'last' is the newest, 'last~1' the one before.
A run killed mid-way is listed as incomplete, one stopped with Ctrl-C as
interrupted: both keep what they found so far.

Use 'ajar show RUN' to print a run in any output format, 'ajar diff A B' to
see what changed between two runs, 'ajar import FILE' to add nmap, masscan
or naabu results, and 'ajar history prune --older-than 90d' to forget old
runs.`,
		Example: `  ajar history                     every run, oldest first
  ajar history -n 10 --kind scan   the last ten scans
  ajar history --since tuesday     the runs since last Tuesday began
  ajar history -o json             as JSON, for scripts
  ajar history prune --older-than 90d
  ajar history --db postgres://ajar@db.example/ajar`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runHistory(cmd, env, &f) },
	}
	fl := cmd.PersistentFlags()
	fl.StringVar(&f.db, "db", "", "read the history in `URL` (postgres://..., or a SQLite file) instead of the data directory's")
	cmd.Flags().StringVar(&f.kind, "kind", "", "only runs of `KIND`: scan, identify, sockets, audit, check or import")
	cmd.Flags().IntVarP(&f.limit, "limit", "n", 0, "only the newest `N` runs")
	cmd.Flags().StringVar(&f.since, "since", "", "only runs started since `WHEN`: 2026-12-01, 2026-12-01T15:04, yesterday, tuesday (each from the day's start), 7d")
	cmd.Flags().StringVarP(&f.output, "output", "o", "table", "output `FORMAT`: table, json or jsonl")
	cmd.AddCommand(newPruneCmd(env, &f))
	return cmd
}

func runHistory(cmd *cobra.Command, env *Env, f *historyFlags) error {
	switch f.kind {
	case "", string(store.KindScan), string(store.KindIdentify), string(store.KindSockets), string(store.KindImport),
		string(store.KindAudit), string(store.KindCheck):
	default:
		return usageErrorf("bad --kind %q: want scan, identify, sockets, audit, check or import", f.kind)
	}
	var since time.Time
	if f.since != "" {
		t, err := store.ParseWhen(f.since, time.Now(), false)
		if err != nil {
			return usageErrorf("bad --since %v", err)
		}
		since = t
	}
	if f.limit < 0 {
		return usageErrorf("bad --limit %d: want 0 or more", f.limit)
	}
	if f.output != "table" && f.output != "json" && f.output != "jsonl" {
		return usageErrorf("bad --output %q: want table, json or jsonl", f.output)
	}
	st, err := openStore(cmd.Context(), env, f.db)
	if err != nil {
		return failure(err)
	}
	defer st.Close()
	runs, err := st.Runs(cmd.Context(), store.Filter{Kind: store.Kind(f.kind), Limit: f.limit, Since: since})
	if err != nil {
		return failure(err)
	}
	if f.output == "table" {
		return failure(historyTable(env, runs))
	}
	return failure(historyJSON(env, runs, f.output == "json"))
}

func historyTable(env *Env, runs []store.Run) error {
	if len(runs) == 0 {
		_, err := fmt.Fprintln(env.Stdout, "no runs recorded yet")
		return err
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSTARTED\tKIND\tTARGETS\tHOSTS UP\tOPEN\tFINDINGS\tSTATUS")
	for _, r := range runs {
		targets := r.Targets
		if r.Kind == store.KindImport {
			targets = r.Source
		}
		if len(targets) > 40 {
			targets = targets[:37] + "..."
		}
		open := strconv.FormatInt(r.OpenPorts, 10)
		up := fmt.Sprintf("%d/%d", r.HostsUp, r.Hosts)
		if r.Kind == store.KindSockets {
			open, up = strconv.FormatInt(r.Sockets, 10)+" sockets", "-"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", r.ID, r.Started.Local().Format("2006-01-02 15:04:05"),
			r.Kind, targets, up, open, r.Findings, r.Status())
	}
	return tw.Flush()
}

// historyRun is a run as JSON: the field names are a stable interface.
type historyRun struct {
	ID        int64      `json:"id"`
	Kind      store.Kind `json:"kind"`
	Started   time.Time  `json:"started"`
	Ended     *time.Time `json:"ended"`
	Status    string     `json:"status"`
	Targets   string     `json:"targets"`
	Args      string     `json:"args"`
	Source    string     `json:"source,omitempty"`
	Hosts     int64      `json:"hosts"`
	HostsUp   int64      `json:"hosts_up"`
	OpenPorts int64      `json:"open_ports"`
	Findings  int64      `json:"findings"`
	Sockets   int64      `json:"sockets"`
}

func historyJSON(env *Env, runs []store.Run, array bool) error {
	out := make([]historyRun, len(runs))
	for i, r := range runs {
		out[i] = historyRun{ID: r.ID, Kind: r.Kind, Started: r.Started.UTC(), Status: r.Status(), Targets: r.Targets,
			Args: r.Args, Source: r.Source, Hosts: r.Hosts, HostsUp: r.HostsUp, OpenPorts: r.OpenPorts,
			Findings: r.Findings, Sockets: r.Sockets}
		if !r.Ended.IsZero() {
			e := r.Ended.UTC()
			out[i].Ended = &e
		}
	}
	enc := json.NewEncoder(env.Stdout)
	if array {
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	for _, r := range out {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}

func newPruneCmd(env *Env, hf *historyFlags) *cobra.Command {
	var older string
	cmd := &cobra.Command{
		Use:   "prune --older-than AGE",
		Short: "Forget the runs older than an age, with their records",
		Example: `  ajar history prune --older-than 90d
  ajar history prune --older-than 12h`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if older == "" {
				return usageErrorf("give --older-than AGE, such as 90d (see 'ajar history prune --help')")
			}
			age, err := store.ParseAge(older)
			if err != nil {
				return usageErrorf("bad --older-than: %v", err)
			}
			st, err := openStore(cmd.Context(), env, hf.db)
			if err != nil {
				return failure(err)
			}
			defer st.Close()
			n, err := st.Prune(cmd.Context(), time.Now().Add(-age))
			if err != nil {
				return failure(err)
			}
			_, err = fmt.Fprintf(env.Stdout, "pruned %d run(s) started before %s\n", n, time.Now().Add(-age).Format(time.DateTime))
			return failure(err)
		},
	}
	cmd.Flags().StringVar(&older, "older-than", "", "forget runs started more than `AGE` ago: 90d, 2w, 36h, 30m")
	return cmd
}

// errNoHistory explains an empty history to show and diff.
var errNoHistory = errors.New("no runs recorded yet (scans are recorded unless --no-store is given)")

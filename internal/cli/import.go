package cli

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/ajarsec/ajar/diff"
	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/run"
	"github.com/ajarsec/ajar/store"
)

func init() { registerCommand(newImportCmd) }

func newImportCmd(env *Env) *cobra.Command {
	var db string
	cmd := &cobra.Command{
		Use:   "import FILE...",
		Short: "Add scans made by nmap, masscan, naabu or ajar to the history",
		Long: `Add results files to the history, one run each, so that old scans become
history that 'ajar diff' and 'ajar show' read: nmap XML (-oX), masscan JSON
(-oJ) or list (-oL), naabu JSON (-json), ajar JSON or JSON Lines. The format
is found from the contents. A run takes the time the file says its scan
started (nmap, masscan), else the file's modification time.`,
		Example: `  ajar import monday.xml tuesday.xml
  ajar import masscan.json naabu.jsonl
  ajar diff 3 4                     once imported, as any two runs`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runImport(cmd, env, db, args) },
	}
	cmd.Flags().StringVar(&db, "db", "", "import into `URL` (postgres://..., or a SQLite file) instead of the data directory's history")
	return cmd
}

func runImport(cmd *cobra.Command, env *Env, db string, paths []string) error {
	files := make([]*diff.File, len(paths))
	for i, p := range paths {
		f, err := diff.ReadFile(p)
		if err != nil {
			return usageErrorf("%v", err)
		}
		if f.Start.IsZero() {
			if fi, err := os.Stat(p); err == nil {
				f.Start = fi.ModTime()
			}
		}
		files[i] = f
	}
	st, err := openStore(cmd.Context(), env, db)
	if err != nil {
		return failure(err)
	}
	defer st.Close()
	for i, f := range files {
		id, hosts, open, err := importFile(cmd, st, paths[i], f)
		if err != nil {
			return failure(fmt.Errorf("importing %s: %w", paths[i], err))
		}
		fmt.Fprintf(env.Stdout, "%s (%s): run %d, %d host(s), %d open port(s)\n", paths[i], f.Format, id, hosts, open)
	}
	return nil
}

func importFile(cmd *cobra.Command, st *store.Store, path string, f *diff.File) (id int64, hosts, open int, err error) {
	k := st.NewSink(cmd.Context(), store.Meta{Kind: store.KindImport, Args: f.Args, Source: path + " (" + f.Format + ")"})
	if err := k.Begin(run.Info{Start: f.Start}); err != nil {
		return 0, 0, 0, err
	}
	for _, r := range f.Records {
		switch r := r.(type) {
		case *record.Host:
			hosts++
		case *record.PortResult:
			if r.State == record.Open {
				open++
			}
		}
		if err := k.Write(r); err != nil {
			break
		}
	}
	end := f.Start
	if end.IsZero() {
		end = time.Now()
	}
	err = k.End(run.Summary{End: end, Hosts: uint64(hosts), HostsDone: uint64(hosts)})
	return k.ID(), hosts, open, err
}

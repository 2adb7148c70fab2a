package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/ajarsec/ajar/run"
	"github.com/ajarsec/ajar/store"
	"github.com/ajarsec/ajar/watch"
)

// watchScanFlags are what `ajar watch TARGET... --every D` adds to the
// scan's flags.
type watchScanFlags struct {
	every  time.Duration
	rounds int
}

// runWatchScan is `ajar watch TARGET... --every D [scan flags]`: the scan
// command, with the watch's flags added, run in rounds.
func runWatchScan(parent *cobra.Command, env *Env, f *watchFlags, args []string) error {
	var sf *scanFlags
	sc := newScanCmdFlags(env, func(got *scanFlags) { sf = got })
	sc.Use = "watch TARGET... --every D [scan flags]"
	sc.SilenceErrors, sc.SilenceUsage = true, true
	sc.SetFlagErrorFunc(flagError)
	sc.SetOut(env.Stdout)
	sc.SetErr(env.Stderr)
	var w watchScanFlags
	fl := sc.Flags()
	fl.DurationVar(&w.every, "every", 0, "scan every `D` (e.g. 15m, 1h), and report what changed since the scan before")
	fl.IntVar(&w.rounds, "rounds", 0, "stop after `N` scans (0: until stopped)")
	fl.StringVar(&env.DataDir, "data-dir", env.DataDir, "ajar's data directory (the history)")
	addAlertFlags(fl, f)
	sc.RunE = func(cmd *cobra.Command, targets []string) error { return watchRounds(cmd, env, sf, f, &w, targets) }
	sc.SetArgs(args)
	return sc.ExecuteContext(parent.Context())
}

// watchRounds scans in rounds and sends the changes of each round since
// the one before.
func watchRounds(cmd *cobra.Command, env *Env, sf *scanFlags, f *watchFlags, w *watchScanFlags, targets []string) error {
	switch {
	case w.every <= 0:
		return watchUsage("give --every D, the time between two scans (e.g. 1h)")
	case w.every < time.Second:
		return watchUsage("--every %v: give a second or more between two scans", w.every)
	case w.rounds < 0:
		return watchUsage("--rounds takes 0 (until stopped) or more")
	case sf.checkpoint != "" || sf.resume != "":
		return watchUsage("a watch has no checkpoint: each round is a whole scan")
	case len(targets) == 0:
		return watchUsage("give the targets to watch")
	}
	cfg, err := scanConfig(cmd, env, sf, targets)
	if err != nil {
		return err
	}
	warn := func(err error) { fmt.Fprintln(env.Stderr, "ajar: "+oneLine(err.Error())) }
	output := sf.output
	if !cmd.Flags().Changed("output") {
		output = "table"
	}
	sink, err := watchSinks(env, f, output, warn)
	if err != nil {
		return err
	}
	sink, msrv, err := withMetrics(cmd.Flags(), f, cfg.Audit != nil, sink, warn)
	if err != nil {
		return err
	}
	defer msrv.stop()
	err = rescans(cmd.Context(), env, sf, w, targets, msrv).Run(cmd.Context(), cfg, sink)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if cerr := sink.Close(ctx); cerr != nil {
		warn(cerr)
	}
	if errors.Is(err, context.Canceled) && cmd.Context().Err() != nil {
		return nil // stopped by the user: the watch's normal end
	}
	return scanError(cmd, err, nil)
}

// rescans is the watch's scan in rounds: each round recorded in the
// history, its tally given to the metrics, the first one announced.
func rescans(ctx context.Context, env *Env, sf *scanFlags, w *watchScanFlags, targets []string, msrv *metricsServer) watch.Rescans {
	return watch.Rescans{
		Every: w.every, Rounds: w.rounds,
		Tee: func(s run.Sink) run.Sink {
			return recorded(ctx, env, &sf.store, store.KindScan, targets, s)
		},
		Done: func(r watch.Round) {
			if msrv != nil {
				msrv.m.Scanned(r.Tally, r.Start, r.End)
			}
			if r.N == 1 {
				fmt.Fprintf(env.Stderr, "ajar: round 1 done in %v: %d hosts seen; changes follow, a scan every %v\n",
					r.End.Sub(r.Start).Round(time.Millisecond), r.Scan.Hosts(), w.every)
			}
		},
	}
}

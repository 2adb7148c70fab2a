package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/ajarsec/ajar/diff"
	"github.com/ajarsec/ajar/record"
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
	err = rounds(cmd.Context(), env, sf, w, cfg, targets, sink, msrv)
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

func rounds(ctx context.Context, env *Env, sf *scanFlags, w *watchScanFlags, cfg run.Config, targets []string, sink watch.Sink, msrv *metricsServer) error {
	var prev *diff.Scan
	for round := 1; w.rounds == 0 || round <= w.rounds; round++ {
		start := time.Now()
		cur := diff.NewScan(fmt.Sprintf("round %d", round), start)
		var tally watch.Tally
		var rs run.Sink = &diffSink{scan: cur}
		if msrv != nil {
			rs = tallySink{Sink: rs, t: &tally}
		}
		if err := run.Scan(ctx, cfg, recorded(ctx, env, &sf.store, store.KindScan, targets, rs)); err != nil {
			return err
		}
		end := time.Now()
		if msrv != nil {
			msrv.m.Scanned(&tally, start, end)
		}
		if prev == nil {
			fmt.Fprintf(env.Stderr, "ajar: round 1 done in %v: %d hosts seen; changes follow, a scan every %v\n",
				end.Sub(start).Round(time.Millisecond), cur.Hosts(), w.every)
		}
		if prev != nil {
			for _, c := range diff.Compare(prev, cur) {
				if err := sink.Send(watch.ScanEvent{Time: end, Round: round, Change: c}); err != nil {
					return err
				}
			}
		}
		prev = cur
		if w.rounds != 0 && round == w.rounds {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Until(start.Add(w.every))):
		}
	}
	return nil
}

// diffSink gathers a round's records into a diff.Scan.
type diffSink struct{ scan *diff.Scan }

func (d *diffSink) Begin(run.Info) error { return nil }
func (d *diffSink) Write(r record.Record) error {
	d.scan.Add(r)
	return nil
}
func (d *diffSink) End(run.Summary) error { return nil }

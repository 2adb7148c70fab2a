package watch

import (
	"context"
	"fmt"
	"time"

	"github.com/ajarsec/ajar/diff"
	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/run"
)

// Rescans is a periodic scan (ajar watch TARGET --every D): the same scan
// in rounds, a round starting Every after the one before started (at once
// when the scan before took longer), and each change a round finds since
// the round before sent as a ScanEvent.
type Rescans struct {
	Every  time.Duration
	Rounds int // stop after this many rounds; 0: when ctx ends

	// Tee, when set, gives what else a round's records go to (the
	// history, say): it wraps the sink it is given, which gathers them
	// for the comparison, and returns the sink the round writes to.
	Tee func(run.Sink) run.Sink

	// Done, when set, is told of each round when it ends, before its
	// changes are sent.
	Done func(Round)
}

// Round is one scan of a Rescans, finished.
type Round struct {
	N          int // 1 for the first
	Start, End time.Time
	Scan       *diff.Scan // its records, as the comparison sees them
	Tally      *Tally     // its open ports and findings, for the metrics
}

// Run scans in rounds until the last round or ctx ends. It returns ctx's
// error when stopped, and the first error of a scan or of sink, which end
// the rescans.
func (w Rescans) Run(ctx context.Context, cfg run.Config, sink Sink) error {
	if w.Every <= 0 {
		return fmt.Errorf("watch: rescans every %v: give a positive interval", w.Every)
	}
	var prev *diff.Scan
	for n := 1; w.Rounds == 0 || n <= w.Rounds; n++ {
		r := Round{N: n, Start: time.Now(), Tally: &Tally{}}
		r.Scan = diff.NewScan(fmt.Sprintf("round %d", n), r.Start)
		var rs run.Sink = roundSink{r}
		if w.Tee != nil {
			rs = w.Tee(rs)
		}
		if err := run.Scan(ctx, cfg, rs); err != nil {
			return err
		}
		r.End = time.Now()
		if w.Done != nil {
			w.Done(r)
		}
		if prev != nil {
			for _, c := range diff.Compare(prev, r.Scan) {
				if err := sink.Send(ScanEvent{Time: r.End, Round: n, Change: c}); err != nil {
					return err
				}
			}
		}
		prev = r.Scan
		if n == w.Rounds {
			break
		}
		wait := time.NewTimer(time.Until(r.Start.Add(w.Every)))
		select {
		case <-ctx.Done():
			wait.Stop()
			return ctx.Err()
		case <-wait.C:
		}
	}
	return nil
}

// roundSink gathers a round's records for the comparison and the tally.
type roundSink struct{ r Round }

func (s roundSink) Begin(run.Info) error { return nil }

func (s roundSink) Write(rec record.Record) error {
	s.r.Scan.Add(rec)
	s.r.Tally.Add(rec)
	return nil
}

func (s roundSink) End(run.Summary) error { return nil }

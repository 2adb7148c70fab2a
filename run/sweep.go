package run

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/ajarsec/ajar/discover"
	"github.com/ajarsec/ajar/record"
)

// sweep is a ping sweep (Config.PingOnly): discovery of every target,
// each host written as soon as it is known, and no port scan.
func sweep(ctx context.Context, cfg *Config, sink Sink) error {
	s, err := discover.Open(*cfg.Discovery)
	if err != nil {
		return fmt.Errorf("host discovery: %w", err)
	}
	defer s.Close()
	cfg.Events.note("ping sweep of %s: %s", addresses(cfg.Targets.Len()), s.Probes())
	var done, up atomic.Uint64
	info := Info{Start: time.Now(), Hosts: cfg.Targets.Len(), PingOnly: true, Progress: func() (uint64, uint64, uint64) {
		return done.Load(), cfg.Targets.Len(), 0
	}}
	if err := sink.Begin(info); err != nil {
		return err
	}
	var writeErr error
	runErr := s.Run(ctx, cfg.Targets, func(h record.Host) {
		done.Add(1)
		if h.State == record.Up {
			up.Add(1)
		}
		if err := sink.Write(&h); err != nil && writeErr == nil {
			writeErr = err
		}
	})
	interrupted := runErr != nil && ctx.Err() != nil
	sum := Summary{End: time.Now(), Hosts: cfg.Targets.Len(), HostsDone: done.Load(), Interrupted: interrupted,
		Up: up.Load(), Down: done.Load() - up.Load()}
	endErr := sink.End(sum)
	switch {
	case interrupted:
		return ctx.Err()
	case runErr != nil:
		return runErr
	}
	if err := errors.Join(writeErr, endErr); err != nil {
		return fmt.Errorf("writing results: %w", err)
	}
	return nil
}

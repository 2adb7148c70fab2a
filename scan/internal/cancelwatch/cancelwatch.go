// Package cancelwatch runs a function when a context is cancelled, for
// probers whose workers carry one probe after another under the same
// context: a worker registers once per context (by its Done channel,
// which contexts cancelled together share), not once per probe.
package cancelwatch

import "context"

// Watch is one worker's registration. The zero value watches nothing.
type Watch struct {
	done <-chan struct{}
	stop func() bool
}

// Set makes the cancellation of ctx call fn with ctx's Done channel,
// unless that channel is watched already; a watch of another context
// ends. A context that is never cancelled is not watched.
func (w *Watch) Set(ctx context.Context, fn func(done <-chan struct{})) {
	done := ctx.Done()
	if done == w.done {
		return
	}
	w.Stop()
	w.done = done
	if done != nil {
		w.stop = context.AfterFunc(ctx, func() { fn(done) })
	}
}

// Stop ends the watch.
func (w *Watch) Stop() {
	if w.stop != nil {
		w.stop()
	}
	w.done, w.stop = nil, nil
}

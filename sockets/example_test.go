package sockets_test

import (
	"context"
	"fmt"
	"time"

	"github.com/ajarsec/ajar/sockets"
)

// A watcher owns the loop and the clock: it polls when it likes, and acts
// on a change.
func ExamplePoller() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p := &sockets.Poller{Filter: sockets.Filter{Exposed: true}}
	defer p.Close()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		list, changed, err := p.Poll(ctx)
		if err != nil {
			fmt.Println("polling:", err)
			return
		}
		if changed {
			fmt.Printf("%d sockets other hosts can reach\n", len(list))
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

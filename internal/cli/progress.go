package cli

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// progressFunc reports work done, the total, and open ports found.
type progressFunc func() (done, total, open uint64)

// progressBar redraws one status line on a terminal a few times a second:
// done/total, rate, ETA and open ports found. Stop erases it.
type progressBar struct {
	w   io.Writer
	get progressFunc
	// stage, when set, adds what goes on besides the probes.
	stage func() string
	start time.Time
	stop  chan struct{}
	wg    sync.WaitGroup
}

func startProgress(w io.Writer, get progressFunc, stage func() string) *progressBar {
	p := &progressBar{w: w, get: get, stage: stage, start: time.Now(), stop: make(chan struct{})}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				fmt.Fprint(p.w, "\r\x1b[2K")
				return
			case <-t.C:
				done, total, open := p.get()
				line := progressLine(done, total, open, time.Since(p.start), 30)
				if p.stage != nil {
					line += p.stage()
				}
				fmt.Fprint(p.w, "\r\x1b[2K"+line)
			}
		}
	}()
	return p
}

func (p *progressBar) Stop() {
	if p == nil {
		return
	}
	close(p.stop)
	p.wg.Wait()
}

// progressLine renders the status: a bar of width cells, counts, rate,
// ETA and open ports.
func progressLine(done, total, open uint64, elapsed time.Duration, width int) string {
	frac := 0.0
	if total > 0 {
		frac = min(float64(done)/float64(total), 1)
	}
	filled := int(frac * float64(width))
	bar := strings.Repeat("=", filled)
	if filled < width {
		bar += ">" + strings.Repeat(" ", width-filled-1)
	}
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(done) / s
	}
	eta := "?"
	if rate > 0 && total >= done {
		eta = time.Duration(float64(total-done) / rate * float64(time.Second)).Round(time.Second).String()
	}
	return fmt.Sprintf("[%s] %d/%d (%.0f%%)  %.0f/s  ETA %s  open %d", bar, done, total, frac*100, rate, eta, open)
}

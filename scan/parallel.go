package scan

// Parallelizer is implemented by probers whose probes in flight cost no
// file descriptor each (the SYN prober: one raw socket serves them all),
// only a goroutine. The engine then keeps up to DefaultParallel of their
// probes in flight when Config.MaxParallel is 0, in place of the default
// for probers that hold a socket per probe. Loopback targets keep their
// own, lower default.
type Parallelizer interface {
	DefaultParallel() int
}

// defaultParallel is the default number of probes in flight for the
// engine's plans: the lowest of what each asks for, defaultMaxParallel
// for a plan that asks nothing.
func (e *Engine) defaultParallel() int {
	n := 0
	for _, p := range e.plans {
		want := defaultMaxParallel
		if pz, ok := p.Prober.(Parallelizer); ok && pz.DefaultParallel() > 0 {
			want = pz.DefaultParallel()
		}
		if n == 0 || want < n {
			n = want
		}
	}
	return n
}

// noDescriptors reports whether the engine's probes in flight hold no
// file descriptor each: every plan's prober is a Parallelizer. Otherwise
// the open-file limit caps the parallelism.
func (e *Engine) noDescriptors() bool {
	for _, p := range e.plans {
		if _, ok := p.Prober.(Parallelizer); !ok {
			return false
		}
	}
	return true
}

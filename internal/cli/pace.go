package cli

import (
	"github.com/ajarsec/ajar/discover"
	"github.com/ajarsec/ajar/scan"
)

// paceNote tells, on stderr, when the path lost packets during the scan:
// how far the adaptive rate backed off, or that a fixed --rate was too
// high for the path.
func paceNote(env *Env, f *scanFlags, st scan.PaceStats) {
	if st.Losses == 0 {
		return
	}
	if !st.Adaptive {
		notef(env, f, "note: %d probes were answered only when tried again: the path loses packets at --rate %g, and ports may show filtered that are not; a lower --rate, or none (an adaptive rate), finds them",
			st.Losses, f.rate)
		return
	}
	notef(env, f, "note: %d probes were answered only when tried again: the path lost packets, so the rate backed off %d times, to %.0f probes/s (the most was %.0f); tries sent while packets were lost were made again beyond --retries",
		st.Losses, st.Cuts, st.Rate, st.Peak)
}

// discoverRate is host discovery's pace: --rate, or its own default
// within --min-rate and --max-rate.
func discoverRate(f *scanFlags) float64 {
	switch {
	case f.rate > 0:
		return f.rate
	case f.maxRate > 0 && f.maxRate < discover.DefaultRate:
		return f.maxRate
	case f.minRate > discover.DefaultRate:
		return f.minRate
	}
	return 0 // discover's default
}

package cli

import (
	"github.com/ajarsec/ajar/discover"
)

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

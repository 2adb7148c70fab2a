package cli

import (
	"time"

	"github.com/spf13/pflag"

	"github.com/ajarsec/ajar/fingerprint"
	_ "github.com/ajarsec/ajar/fingerprint/all" // the plugins compiled in
	"github.com/ajarsec/ajar/run"
)

// serviceFlags are the flags of service identification, shared by
// `scan -sV` and `identify`.
type serviceFlags struct {
	timeout, probeTimeout, bannerWait time.Duration
	parallel                          int
}

func (sf *serviceFlags) register(fl *pflag.FlagSet) {
	fl.DurationVar(&sf.timeout, "service-timeout", fingerprint.DefaultTimeout, "longest identification of one port")
	fl.DurationVar(&sf.probeTimeout, "probe-timeout", fingerprint.DefaultProbeTimeout, "longest wait for one identification probe's answer")
	fl.DurationVar(&sf.bannerWait, "banner-wait", fingerprint.DefaultBannerWait, "how long to wait for a service to speak first")
	fl.IntVar(&sf.parallel, "service-parallel", 64, "identify at most `N` ports at once")
}

func (sf *serviceFlags) config() (run.Identify, error) {
	if sf.timeout <= 0 || sf.probeTimeout <= 0 || sf.bannerWait <= 0 {
		return run.Identify{}, usageErrorf("--service-timeout, --probe-timeout and --banner-wait must be positive")
	}
	if sf.parallel < 1 {
		return run.Identify{}, usageErrorf("--service-parallel must be at least 1")
	}
	return run.Identify{Timeout: sf.timeout, ProbeTimeout: sf.probeTimeout, BannerWait: sf.bannerWait, Parallel: sf.parallel}, nil
}

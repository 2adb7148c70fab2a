package run_test

import (
	"errors"
	"math"
	"net/netip"
	"testing"

	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/run"
	"github.com/ajarsec/ajar/target"
	"github.com/ajarsec/ajar/target/perm"
)

// TestConfigErrors: a scan that cannot be made is refused with ErrConfig
// before the sink hears anything.
func TestConfigErrors(t *testing.T) {
	ok := run.Config{Targets: single(netip.MustParseAddr("192.0.2.1")), Ports: portspec.MustParseSpec("80"), TCP: run.Connect}
	for name, mod := range map[string]func(*run.Config){
		"no targets":      func(c *run.Config) { c.Targets = target.Set{} },
		"no ports":        func(c *run.Config) { c.Ports = portspec.Spec{} },
		"NaN rate":        func(c *run.Config) { c.Pace.Rate = math.NaN() },
		"Inf rate":        func(c *run.Config) { c.Pace.MaxRate = math.Inf(1) },
		"tiny rate":       func(c *run.Config) { c.Pace.Rate = 1e-300 },
		"rate and bounds": func(c *run.Config) { c.Pace.Rate, c.Pace.MaxRate = 10, 20 },
		"min above max":   func(c *run.Config) { c.Pace.MinRate, c.Pace.MaxRate = 20, 10 },
		"bad shard":       func(c *run.Config) { c.Shard = perm.Shard{I: 3, N: 2} },
		"sweep shard":     func(c *run.Config) { c.PingOnly, c.Shard = true, perm.Shard{I: 1, N: 2} },
		"technique":       func(c *run.Config) { c.TCP = "ack" },
		"huge group":      func(c *run.Config) { c.HostGroup = run.MaxHostGroup + 1 },
		"both ckpts":      func(c *run.Config) { c.Checkpoint, c.Resume = "x", &run.Checkpoint{} },
	} {
		cfg := ok
		mod(&cfg)
		c := newCollector(t)
		err := run.Scan(t.Context(), cfg, c)
		if !errors.Is(err, run.ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
		if c.begun {
			t.Errorf("%s: the sink began", name)
		}
	}
}

func single(a netip.Addr) target.Set { return target.SetOf(target.Range{From: a, To: a}) }

package cli

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ajarsec/ajar/run"
	"github.com/ajarsec/ajar/target"
	"github.com/ajarsec/ajar/target/perm"
)

// resumeConfig is ajar scan --resume FILE: the scan FILE holds, from where
// it stopped. Flags given now may change its pace, its outputs and its
// identification; others must repeat what the checkpoint holds.
func resumeConfig(cmd *cobra.Command, env *Env, f *scanFlags, args []string) (run.Config, error) {
	if f.checkpoint != "" {
		return run.Config{}, usageErrorf("give --resume or --checkpoint, not both: a resumed scan goes on checkpointing to the file it resumes")
	}
	ck, err := run.OpenCheckpoint(cmd.Context(), f.resume)
	if err != nil {
		return run.Config{}, usageErrorf("%s", strings.TrimPrefix(err.Error(), run.ErrConfig.Error()+": "))
	}
	cfg := ck.Config()
	err = applyResumeFlags(cmd, f, &cfg, ck.Path())
	if err == nil {
		err = checkResumeTargets(cmd, f, cfg, args, ck.Path())
	}
	if err != nil {
		ck.Close()
		return run.Config{}, err
	}
	var kept keptOutputs
	if len(cfg.Caller) > 0 {
		if err := json.Unmarshal(cfg.Caller, &kept); err != nil {
			ck.Close()
			return run.Config{}, usageErrorf("cannot resume: %s: bad outputs: %v", ck.Path(), err)
		}
	}
	if !cmd.Flags().Changed("output") && kept.Output != "" {
		f.output = kept.Output
	}
	if !cmd.Flags().Changed("save") {
		f.saves = kept.Saves
	}
	cfg.Events = scanEvents(env, f)
	return cfg, nil
}

// applyResumeFlags gives the resumed scan the pace, output and
// identification flags given now, and checks that every other flag
// repeats what the checkpoint holds.
func applyResumeFlags(cmd *cobra.Command, f *scanFlags, cfg *run.Config, path string) error {
	fl := cmd.Flags()
	var err error
	fl.Visit(func(p *pflag.Flag) {
		if err != nil {
			return
		}
		given, saved, same := resumeFlag(cmd, f, cfg, p.Name)
		if !same {
			err = usageErrorf("--resume: --%s %s conflicts with the checkpoint's scan (%s): a resumed scan takes its targets, ports, seed and shard from %s",
				p.Name, given, saved, path)
		}
	})
	if err != nil {
		return err
	}
	pace, err := paceConfig(f)
	if err != nil {
		return err
	}
	p := &cfg.Pace
	for name, apply := range map[string]func(){
		"rate": func() { p.Rate = pace.Rate }, "min-rate": func() { p.MinRate = pace.MinRate },
		"max-rate": func() { p.MaxRate = pace.MaxRate }, "max-parallel": func() { p.MaxParallel = pace.MaxParallel },
		"retries": func() { p.Retries = pace.Retries }, "min-timeout": func() { p.MinTimeout = pace.MinTimeout },
		"max-timeout": func() { p.MaxTimeout = pace.MaxTimeout }, "initial-timeout": func() { p.InitialTimeout = pace.InitialTimeout },
	} {
		if fl.Changed(name) {
			apply()
		}
	}
	if f.service || cfg.Identify != nil && anyChanged(fl, "service-timeout", "probe-timeout", "banner-wait", "service-parallel") {
		id, err := f.svc.config()
		if err != nil {
			return err
		}
		cfg.Identify = &id
	}
	return nil
}

func anyChanged(fl *pflag.FlagSet, names ...string) bool {
	for _, n := range names {
		if fl.Changed(n) {
			return true
		}
	}
	return false
}

// resumeMayChange are the flags a resumed scan may give anew: how fast it
// goes, where its results go, and what it learns of open ports; never
// what it scans.
var resumeMayChange = map[string]bool{
	"resume": true, "output": true, "save": true, "quiet": true,
	"rate": true, "min-rate": true, "max-rate": true, "max-parallel": true, "retries": true,
	"min-timeout": true, "max-timeout": true, "initial-timeout": true,
	"service": true, "service-timeout": true, "probe-timeout": true,
	"banner-wait": true, "service-parallel": true,
}

// resumeFlag compares a flag given on --resume with the checkpoint's scan:
// the value given, the checkpoint's, and whether they agree.
func resumeFlag(cmd *cobra.Command, f *scanFlags, cfg *run.Config, name string) (given, saved string, same bool) {
	fl := cmd.Flags().Lookup(name)
	given = fl.Value.String()
	if sv, ok := fl.Value.(pflag.SliceValue); ok {
		given = strings.Join(sv.GetSlice(), ",")
	}
	switch name {
	case "ports", "top-ports", "fast", "exclude-ports", "udp", "syn", "connect":
		spec, err := scanPorts(cmd, f)
		tcp, terr := tcpTechnique(f)
		saved = "ports " + cfg.Ports.String()
		if cfg.TCP != run.Auto {
			saved += ", " + string(cfg.TCP)
		}
		return given, saved, err == nil && terr == nil && spec.Equal(cfg.Ports) && (tcp == run.Auto || tcp == cfg.TCP)
	case "seed":
		return given, fmt.Sprintf("seed %d", cfg.Seed), f.seed == cfg.Seed
	case "shard":
		sh, err := perm.ParseShard(f.shard)
		saved = "not given"
		if cfg.Shard.N > 0 {
			saved = "shard " + cfg.Shard.String()
		}
		return given, saved, err == nil && sh == cfg.Shard
	case "all-ports":
		return given, fmt.Sprintf("all-ports %v", cfg.AllPorts), f.allPorts == cfg.AllPorts
	case "no-ping", "Pn":
		return given, fmt.Sprintf("no-ping %v", cfg.Discovery == nil), f.disc.noPing == (cfg.Discovery == nil)
	case "max-hostgroup":
		return given, fmt.Sprintf("max-hostgroup %d", cfg.HostGroup), f.disc.hostGroup == cfg.HostGroup
	}
	if resumeMayChange[name] {
		return given, "", true
	}
	return given, "targets as resolved then", false
}

// checkResumeTargets checks targets given on --resume against the
// checkpoint's, resolved: they may only repeat them.
func checkResumeTargets(cmd *cobra.Command, f *scanFlags, cfg run.Config, args []string, path string) error {
	if len(args) == 0 {
		return nil
	}
	specs, err := target.ParseList(strings.Join(args, " "))
	var set target.Set
	if err == nil {
		set, err = target.Resolve(cmd.Context(), specs, target.ResolveOptions{AllAddresses: f.allAddresses})
	}
	if err != nil || !set.Equal(cfg.Targets) {
		return usageErrorf("--resume: targets %q conflict with the checkpoint's %q: a resumed scan takes its targets from %s",
			strings.Join(args, " "), cfg.Targets.String(), path)
	}
	return nil
}

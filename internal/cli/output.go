package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/report"
	"github.com/ajarsec/ajar/run"
)

// outputs are every writer the flags ask for: stdout, then each --save.
type outputs struct {
	w     report.Writer
	files []*os.File
}

func openOutputs(env *Env, output string, saves []string, allPorts bool) (*outputs, error) {
	format, err := report.ParseScanFormat(output)
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	opts := report.Options{AllPorts: allPorts, Style: report.Style{Color: colorWanted(env.Stdout)}}
	stdout, err := report.New(format, env.Stdout, opts)
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	o := &outputs{}
	ws := []report.Writer{stdout}
	for _, s := range saves {
		sf, path, err := report.ParseSave(s)
		if err != nil {
			o.close()
			return nil, usageErrorf("%v", err)
		}
		fh, err := os.Create(path)
		if err != nil {
			o.close()
			return nil, usageErrorf("cannot write %s: %v", path, err)
		}
		o.files = append(o.files, fh)
		w, err := report.New(sf, fh, report.Options{AllPorts: allPorts})
		if err != nil {
			o.close()
			return nil, usageErrorf("%v", err)
		}
		ws = append(ws, w)
	}
	o.w = report.Synchronized(report.MultiWriter(ws...))
	return o, nil
}

func (o *outputs) close() error {
	var errs []error
	for _, fh := range o.files {
		if err := fh.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// cliSink writes a scan's records to the outputs, and shows its progress
// on a terminal.
type cliSink struct {
	env   *Env
	out   *outputs
	quiet bool
	bar   *progressBar
}

func (s *cliSink) Begin(info run.Info) error {
	ri := report.RunInfo{
		Args: append([]string{"ajar"}, os.Args[1:]...), Start: info.Start,
		Shards: int(info.Shards), PingOnly: info.PingOnly, Version: s.env.Version,
	}
	for _, si := range info.Scans {
		ri.Scans = append(ri.Scans, report.ScanInfo{Type: si.Type, Proto: si.Proto, Ports: si.Ports, NumPorts: si.NumPorts})
	}
	if !s.quiet && isTerminal(s.env.Stderr) && info.Progress != nil {
		if !info.PingOnly {
			fmt.Fprintf(s.env.Stderr, "ajar: %s of %d host(s)\n", techniques(info.Scans), info.Hosts)
		}
		s.bar = startProgress(s.env.Stderr, info.Progress)
	}
	return s.out.w.Begin(ri)
}

func (s *cliSink) Write(r record.Record) error {
	return s.out.w.Write(r)
}

func (s *cliSink) End(sum run.Summary) error {
	s.stopBar()
	return s.out.w.End(report.RunStats{End: sum.End, HostsTotal: int(min(sum.Hosts, 1<<31)),
		HostsDone: int(min(sum.HostsDone, 1<<31)), Interrupted: sum.Interrupted})
}

func (s *cliSink) stopBar() {
	s.bar.Stop()
	s.bar = nil
}

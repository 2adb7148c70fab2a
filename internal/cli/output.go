package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/report"
	"github.com/ajarsec/ajar/run"
)

// outputs are every writer the flags ask for: stdout, then each --save.
type outputs struct {
	w     report.Writer
	files []*os.File
}

// output is one output the flags ask for: a format and a path, "-" for
// standard output.
type output struct {
	format report.Format
	path   string
	flag   string // as given, for errors
}

// outputList works out the outputs: stdout in the -o format, then each
// --save. A --save to "-" takes stdout's place (unless -o was given too),
// and no two outputs may write to one file. Nothing is opened yet.
func outputList(format string, formatGiven bool, saves []string) ([]output, error) {
	f, err := report.ParseScanFormat(format)
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	outs := []output{{format: f, path: "-", flag: "-o " + format}}
	for _, s := range saves {
		sf, path, err := report.ParseSave(s)
		if err != nil {
			return nil, usageErrorf("%v", err)
		}
		if path == "-" {
			if formatGiven || outs[0].flag != "-o "+format {
				return nil, usageErrorf("%s and --save %s both write to standard output: give one", outs[0].flag, s)
			}
			outs[0] = output{format: sf, path: "-", flag: "--save " + s}
			continue
		}
		outs = append(outs, output{format: sf, path: path, flag: "--save " + s})
	}
	for i := 1; i < len(outs); i++ {
		for j := range i {
			if samePath(outs[i].path, outs[j].path) {
				return nil, usageErrorf("%s and %s write to one file: give each output its own", outs[j].flag, outs[i].flag)
			}
		}
	}
	return outs, nil
}

// samePath reports whether two output paths are one file: the same path
// once made absolute, or one existing file under two names.
func samePath(a, b string) bool {
	if a == "-" || b == "-" {
		return a == b
	}
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	if err1 == nil && err2 == nil && aa == bb {
		return true
	}
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

// openOutputs opens the outputs that -o and --save ask for, each writer
// made with base (and colour on a terminal).
func openOutputs(env *Env, format string, formatGiven bool, saves []string, base report.Options) (*outputs, error) {
	list, err := outputList(format, formatGiven, saves)
	if err != nil {
		return nil, err
	}
	o := &outputs{}
	var ws []report.Writer
	for _, out := range list {
		w, opts := env.Stdout, base
		if out.path == "-" {
			opts.Style.Color = colorWanted(env.Stdout)
		} else {
			fh, err := os.Create(out.path)
			if err != nil {
				o.close()
				return nil, usageErrorf("cannot write %s: %v", out.path, err)
			}
			o.files = append(o.files, fh)
			w = fh
		}
		rw, err := report.New(out.format, w, opts)
		if err != nil {
			o.close()
			return nil, usageErrorf("%v", err)
		}
		ws = append(ws, rw)
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
	// worst is the highest severity of the findings written.
	worst record.Severity
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
		var stage func() string
		if info.Identifying != nil {
			stage = func() string {
				if n := info.Identifying(); n > 0 {
					return fmt.Sprintf("  identifying %d port(s)", n)
				}
				return ""
			}
		}
		s.bar = startProgress(s.env.Stderr, info.Progress, stage)
	}
	return s.out.w.Begin(ri)
}

func (s *cliSink) Write(r record.Record) error {
	if p, ok := r.(*record.PortResult); ok {
		s.worst = max(s.worst, record.Worst(p.Findings))
	}
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

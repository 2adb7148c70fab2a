//go:build linux

// Command zoo starts ajar's daemon zoo, runs one command in the zoo's
// scanner namespace, writes the truth table, and stops the zoo:
//
//	go run ./internal/zoo/cmd/zoo [-set first|second] [-layout usual|shuffled] [-truth FILE] [-only a,b] [-seed N] -- COMMAND ARGS...
//
// In COMMAND's arguments "{target}" becomes the target's address; its
// environment also has ZOO_TARGET (the address), ZOO_TRUTH (the truth
// file), ZOO_TARGET_NETNS (the daemons' namespace, for ip netns exec) and
// ZOO_DIR (the zoo's directory; the audit set's CA is
// $ZOO_DIR/audit-ca.pem). The truth table is written before COMMAND starts, as JSON:
// {"target": …, "layout": …, "start_seconds": …, "services": [Service…]}.
// It needs root. The exit status is COMMAND's, or 3 when the zoo failed.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/ajarsec/ajar/internal/zoo"
)

func main() {
	os.Exit(run())
}

func run() int {
	layoutName := flag.String("layout", "usual", "port layout: usual or shuffled")
	truthPath := flag.String("truth", "", "write the truth table as JSON to this `file`")
	setName := flag.String("set", "first", "the zoo's set of daemons: first, second ("+strings.Join(zoo.DaemonsOf(zoo.Second), ",")+") or audit (planted misconfigurations and their hardened twins)")
	only := flag.String("only", "", "comma-separated daemons of the set to start (default all): "+strings.Join(zoo.Daemons(), ","))
	seed := flag.Uint64("seed", 1, "seed of the shuffled layout")
	startTimeout := flag.Duration("start-timeout", 90*time.Second, "how long the daemons may take to answer (RabbitMQ is slow on a loaded machine)")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: zoo [flags] -- COMMAND ARGS...\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	layout, err := zoo.ParseLayout(*layoutName)
	set, serr := zoo.ParseSet(*setName)
	err = errors.Join(err, serr)
	if err != nil || flag.NArg() == 0 {
		if err != nil {
			fmt.Fprintln(os.Stderr, "zoo:", err)
		}
		flag.Usage()
		return 2
	}
	opts := zoo.Options{Set: set, Layout: layout, Seed: *seed, StartTimeout: *startTimeout}
	if *only != "" {
		opts.Only = strings.Split(*only, ",")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	r := &runner{name: "zoo"}
	code := 3
	done := make(chan struct{})
	go func() {
		defer close(done)
		z := zoo.Start(r, opts)
		fmt.Fprintf(os.Stderr, "zoo: %d services up in %.1fs at %v, layout %v\n",
			len(z.Services(layout)), z.StartTime.Seconds(), z.Addr(), layout)
		if *truthPath != "" {
			if err := writeTruth(*truthPath, z, layout); err != nil {
				r.Fatal(err)
			}
		}
		code = command(ctx, z, *truthPath, flag.Args())
		if err := z.Check(); err != nil {
			r.Error(err)
		}
	}()
	<-done
	r.runCleanups()
	if r.failed && code == 0 {
		code = 3
	}
	return code
}

// truth is the JSON the -truth file holds.
type truth struct {
	Target       string        `json:"target"`
	Layout       string        `json:"layout"`
	StartSeconds float64       `json:"start_seconds"`
	Services     []zoo.Service `json:"services"`
}

func writeTruth(path string, z *zoo.Zoo, l zoo.Layout) error {
	b, err := json.MarshalIndent(truth{
		Target: z.Addr().String(), Layout: l.String(), StartSeconds: z.StartTime.Seconds(), Services: z.Services(l),
	}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// command runs argv in the scanner namespace and returns its exit status.
// A signal to zoo reaches it as SIGINT; after 10 seconds it is killed.
func command(ctx context.Context, z *zoo.Zoo, truthPath string, argv []string) int {
	args := make([]string, len(argv))
	for i, a := range argv {
		args[i] = strings.ReplaceAll(a, "{target}", z.Addr().String())
	}
	cmd := z.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), "ZOO_TARGET="+z.Addr().String(), "ZOO_TRUTH="+truthPath,
		"ZOO_TARGET_NETNS="+z.Bed.Target.Name, "ZOO_DIR="+z.Dir)
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "zoo:", err)
		return 3
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	var err error
	select {
	case err = <-waited:
	case <-ctx.Done():
		cmd.Process.Signal(os.Interrupt)
		select {
		case err = <-waited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			err = <-waited
		}
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		if ee.ExitCode() < 0 {
			return 128 + int(syscall.SIGINT)
		}
		return ee.ExitCode()
	}
	fmt.Fprintln(os.Stderr, "zoo:", err)
	return 3
}

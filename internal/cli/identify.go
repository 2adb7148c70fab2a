package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/report"
	"github.com/ajarsec/ajar/run"
	"github.com/ajarsec/ajar/store"
)

type identifyFlags struct {
	svc    serviceFlags
	output string
	saves  []string
	udp    bool
	quiet  bool
	store  storeFlags
}

func newIdentifyCmd(env *Env) *cobra.Command {
	var f identifyFlags
	cmd := &cobra.Command{
		Use:   "identify [flags] HOST:PORT...",
		Short: "Name the service and version on ports known to be open",
		Long: `Identify the service behind ports you already know are open, without a port
scan: the same identification as 'ajar scan -sV'. Each port is first offered
to the protocols usual on it (22: SSH), then whatever the service says
unprompted is matched, then the other protocols are tried, most common first.
TLS is detected on any port, and the protocol inside it identified; the
certificate, version, cipher suite and JA3S are reported.

Ports are HOST:PORT ([v6]:PORT for IPv6), with /udp for UDP (or --udp for
all); - reads them from standard input, one per line, so another tool's
output can be piped in. The same port given twice is probed once.

A TCP port that refuses the connection is reported closed (conn-refused),
one that does not answer filtered (no-response); a UDP port that no probe
makes answer stays open|filtered. ajar exits with 0 when at least one
service was named, 1 when none was, 2 on bad input.`,
		Example: `  ajar identify 127.0.0.1:22 127.0.0.1:8443
  ajar identify '[::1]:6379' 192.0.2.7:53/udp
  cat open.txt | ajar identify - -o jsonl`,
		RunE: func(cmd *cobra.Command, args []string) error { return runIdentify(cmd, env, &f, args) },
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.BoolVar(&f.udp, "udp", false, "the ports are UDP ports")
	fl.StringVarP(&f.output, "output", "o", "table", "output `FORMAT` on stdout: "+report.FormatNames())
	fl.StringArrayVar(&f.saves, "save", nil, "also write `FORMAT:PATH` (repeatable)")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no notes on stderr")
	f.svc.register(fl)
	f.store.register(fl)
	completeFormats(cmd, "", "port")
	completeFormats(cmd, ":", "port")
	return cmd
}

// endpoint is one port to identify.
func runIdentify(cmd *cobra.Command, env *Env, f *identifyFlags, args []string) error {
	ctx := cmd.Context()
	cfg, err := f.svc.config()
	if err != nil {
		return err
	}
	if len(args) == 0 {
		return usageErrorf("give at least one HOST:PORT, or - to read them from standard input")
	}
	var eps []run.Endpoint
	for _, a := range args {
		var more []run.Endpoint
		if a == "-" {
			more, err = readEndpoints(cmd, os.Stdin, f.udp)
		} else {
			more, err = parseEndpoint(cmd, a, f.udp)
		}
		if err != nil {
			return err
		}
		eps = append(eps, more...)
	}
	out, err := openOutputs(env, f.output, cmd.Flags().Changed("output"), f.saves, report.Options{AllPorts: true})
	if err != nil {
		return err
	}
	var ev run.Events
	if !f.quiet {
		ev.Note = func(msg string) { fmt.Fprintln(env.Stderr, "ajar: "+msg) }
	}
	err = run.IdentifyPorts(ctx, eps, cfg, ev,
		recorded(ctx, env, &f.store, store.KindIdentify, args, &cliSink{env: env, out: out, quiet: true}))
	closeErr := out.close()
	switch {
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		return err
	case errors.Is(err, run.ErrNoneIdentified):
		if closeErr != nil {
			return failure(fmt.Errorf("writing results: %w", closeErr))
		}
		return &exitError{code: ExitFailure, err: errors.New("no service identified on the ports given")}
	case err != nil:
		return failure(err)
	case closeErr != nil:
		return failure(fmt.Errorf("writing results: %w", closeErr))
	}
	return nil
}

func readEndpoints(cmd *cobra.Command, r io.Reader, udp bool) ([]run.Endpoint, error) {
	var out []run.Endpoint
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxEndpointLine)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" {
			continue
		}
		eps, err := parseEndpoint(cmd, line, udp)
		if err != nil {
			return nil, usageErrorf("standard input, line %d: %v", n, err)
		}
		out = append(out, eps...)
	}
	if errors.Is(sc.Err(), bufio.ErrTooLong) {
		return nil, usageErrorf("standard input: a line longer than %d bytes: want HOST:PORT a line", maxEndpointLine)
	}
	if err := sc.Err(); err != nil {
		return nil, usageErrorf("reading standard input: %v", err)
	}
	return out, nil
}

// parseEndpoint reads HOST:PORT[/udp|/tcp], resolving a host name.
// maxEndpointLine bounds a line of HOST:PORT on standard input.
const maxEndpointLine = 4096

func parseEndpoint(cmd *cobra.Command, s string, udp bool) ([]run.Endpoint, error) {
	proto := portspec.TCP
	if udp {
		proto = portspec.UDP
	}
	hp := s
	if base, p, ok := strings.Cut(s, "/"); ok {
		switch strings.ToLower(p) {
		case "udp":
			proto = portspec.UDP
		case "tcp":
			proto = portspec.TCP
		default:
			return nil, usageErrorf("%q: the protocol after / must be tcp or udp", s)
		}
		hp = base
	}
	host, port, err := net.SplitHostPort(hp)
	if err != nil {
		return nil, usageErrorf("%q is not HOST:PORT ([v6]:PORT for IPv6)", s)
	}
	pn, err := strconv.ParseUint(port, 10, 16)
	if err != nil || pn == 0 {
		return nil, usageErrorf("%q: port must be a number from 1 to 65535", s)
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return []run.Endpoint{{Addr: netip.AddrPortFrom(a.Unmap(), uint16(pn)), Proto: proto}}, nil
	}
	addrs, err := net.DefaultResolver.LookupNetIP(cmd.Context(), "ip", host)
	if err != nil || len(addrs) == 0 {
		return nil, usageErrorf("cannot resolve %q: %v", host, err)
	}
	return []run.Endpoint{{Addr: netip.AddrPortFrom(addrs[0].Unmap(), uint16(pn)), Name: host, Proto: proto}}, nil
}

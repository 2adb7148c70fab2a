package cli

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/report"
)

type identifyFlags struct {
	svc    serviceFlags
	output string
	saves  []string
	udp    bool
	quiet  bool
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
output can be piped in.`,
		Example: `  ajar identify 127.0.0.1:22 127.0.0.1:8443
  ajar identify '[::1]:6379' 192.0.2.7:53/udp
  cat open.txt | ajar identify - -o jsonl`,
		RunE: func(cmd *cobra.Command, args []string) error { return runIdentify(cmd, env, &f, args) },
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.BoolVar(&f.udp, "udp", false, "the ports are UDP ports")
	fl.StringVarP(&f.output, "output", "o", "table", "output `FORMAT` on stdout: table, json, jsonl, csv or xml")
	fl.StringArrayVar(&f.saves, "save", nil, "also write `FORMAT:PATH` (repeatable)")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no notes on stderr")
	f.svc.register(fl)
	return cmd
}

// endpoint is one port to identify.
type endpoint struct {
	addr  netip.AddrPort
	name  string
	proto portspec.Proto
}

func runIdentify(cmd *cobra.Command, env *Env, f *identifyFlags, args []string) error {
	ctx := cmd.Context()
	cfg, err := f.svc.config()
	if err != nil {
		return err
	}
	if len(args) == 0 {
		return usageErrorf("give at least one HOST:PORT, or - to read them from standard input")
	}
	var eps []endpoint
	for _, a := range args {
		var more []endpoint
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
	out, err := openOutputs(env, &scanFlags{output: f.output, saves: f.saves})
	if err != nil {
		return err
	}
	info := report.RunInfo{Args: append([]string{"ajar"}, os.Args[1:]...), Start: time.Now(), Version: env.Version}
	if err := out.w.Begin(info); err != nil {
		out.close()
		return failure(err)
	}
	var writeErr error
	id := newIdentifier(cfg, f.svc.parallel, func(r *record.PortResult) {
		if err := out.w.Write(r); err != nil && writeErr == nil {
			writeErr = err
		}
	})
	if !f.quiet {
		id.warn = func(r *record.PortResult, err error) {
			fmt.Fprintf(env.Stderr, "ajar: warning: %v\n", err)
		}
	}
	for _, ep := range eps {
		r := &record.PortResult{Host: ep.addr.Addr(), Hostname: ep.name, Port: ep.addr.Port(), Proto: ep.proto, State: record.Open, Reason: "user-set"}
		id.submit(ctx, r)
	}
	id.wait()
	interrupted := ctx.Err() != nil
	endErr := out.w.End(report.RunStats{End: time.Now(), HostsTotal: len(eps), Interrupted: interrupted})
	closeErr := out.close()
	if interrupted {
		return ctx.Err()
	}
	if writeErr != nil || endErr != nil || closeErr != nil {
		return failure(fmt.Errorf("writing results: %v", firstErr(writeErr, endErr, closeErr)))
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func readEndpoints(cmd *cobra.Command, r io.Reader, udp bool) ([]endpoint, error) {
	var out []endpoint
	sc := bufio.NewScanner(r)
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
	if err := sc.Err(); err != nil {
		return nil, usageErrorf("reading standard input: %v", err)
	}
	return out, nil
}

// parseEndpoint reads HOST:PORT[/udp|/tcp], resolving a host name.
func parseEndpoint(cmd *cobra.Command, s string, udp bool) ([]endpoint, error) {
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
		return []endpoint{{addr: netip.AddrPortFrom(a.Unmap(), uint16(pn)), proto: proto}}, nil
	}
	addrs, err := net.DefaultResolver.LookupNetIP(cmd.Context(), "ip", host)
	if err != nil || len(addrs) == 0 {
		return nil, usageErrorf("cannot resolve %q: %v", host, err)
	}
	return []endpoint{{addr: netip.AddrPortFrom(addrs[0].Unmap(), uint16(pn)), name: host, proto: proto}}, nil
}

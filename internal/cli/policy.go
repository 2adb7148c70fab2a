package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ajarsec/ajar/diff"
	"github.com/ajarsec/ajar/policy"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/run"
	"github.com/ajarsec/ajar/sockets"
)

func init() { registerCommand(newPolicyCmd) }

func newPolicyCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Write and check policy files: which ports may be open, and how",
		Long: `A policy says which ports of which hosts may be open; everything else is
denied. ajar check compares reality with it, ajar firewall enforces it.

  version: 1
  include: [common.yaml]          # groups and hosts shared by several files
  findings: high                  # an audit finding at or above it is a violation
  loopback: ignore                # (default) loopback-only listeners are not doors
  groups:
    web: [10.0.0.5, 10.0.1.0/24, web1.example.com]
  hosts:
    - match: web                  # an address, CIDR, hostname, group name, or *
      allow:
        - port: tcp/22            # tcp/N, udp/N, tcp/8000-8100, tcp/80,443, tcp/https, ssh
          sources: [192.0.2.0/24] # who may connect (for ajar firewall)
          process: sshd           # who must own the listener (ajar check --local)
          user: root
          required: true          # it must be open
        - port: tcp/443
          service: http           # what identification must name there
          product: nginx
        - port: tcp/5432
          exposure: loopback      # loopback | interface NAME | all

A :: socket that takes IPv4 too listens in both families; a v6-only one does
not satisfy a required port over IPv4. Files are read strictly: an unknown
key, a bad address or CIDR, anchors and aliases, and two entries that demand
different things of one port are errors naming the line.`,
		Example: `  ajar policy init > policy.yaml             from this machine's listeners
  ajar policy init 10.0.0.0/24 > policy.yaml  from a scan of the network
  ajar policy init --results scan.jsonl       from a stored ajar JSON/JSONL result
  ajar policy lint policy.yaml
  ajar policy schema > ajar-policy.schema.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newPolicyInitCmd(env), newPolicyLintCmd(env), newPolicySchemaCmd(env))
	return cmd
}

type policyInitFlags struct {
	results string
	netns   string
	ports   string
	out     string
}

func newPolicyInitCmd(env *Env) *cobra.Command {
	var f policyInitFlags
	cmd := &cobra.Command{
		Use:   "init [TARGET...]",
		Short: "Write a commented policy that allows exactly what is open now",
		Long: `Write a commented policy that allows exactly what is open now, so that nobody
starts from a blank page: from this machine's listening sockets (the
default; --netns for a namespace's), from a scan of TARGET... (the 1000
usual ports, or -p), or from a stored result (--results: ajar's JSON or
JSON Lines, nmap -oX, masscan -oJ/-oL, naabu -json). Read it, remove what should not be open, and commit it.`,
		Example: `  ajar policy init > policy.yaml
  ajar policy init --netns blue -o policy.yaml
  ajar policy init -p- 10.0.0.5 > policy.yaml
  ajar scan -o json 10.0.0.0/24 > scan.json && ajar policy init --results scan.json`,
		RunE: func(cmd *cobra.Command, args []string) error { return runPolicyInit(cmd, env, &f, args) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.results, "results", "", "read open ports from `FILE`: ajar's JSON or JSON Lines, nmap XML, masscan or naabu output")
	fl.StringVar(&f.netns, "netns", "", "the sockets of network namespace `NAME`")
	fl.StringVarP(&f.ports, "ports", "p", "", "with targets: scan these ports (default: the 1000 usual ones)")
	fl.StringVarP(&f.out, "output", "o", "-", "write the policy to `FILE` (a new file)")
	completeNetns(cmd)
	return cmd
}

func runPolicyInit(cmd *cobra.Command, env *Env, f *policyInitFlags, args []string) error {
	usage := func(format string, a ...any) error {
		return usageErrorf("%s (see 'ajar policy init --help')", fmt.Sprintf(format, a...))
	}
	sources := 0
	for _, given := range []bool{f.results != "", len(args) > 0, f.netns != ""} {
		if given {
			sources++
		}
	}
	if sources > 1 {
		return usage("give one source: targets to scan, --results FILE, or --netns NAME")
	}
	if f.ports != "" && len(args) == 0 {
		return usage("-p chooses the ports to scan: give targets")
	}
	from := policy.InitFrom{Date: time.Now().Format("2006-01-02")}
	var text string
	switch {
	case f.results != "":
		rs, err := readResults(f.results)
		if err != nil {
			return err
		}
		from.What = f.results
		text = policy.InitScan(from, rs)
	case len(args) > 0:
		spec, _ := portspec.TopSpec(portspec.TopDefault, portspec.TCP)
		if f.ports != "" {
			s, err := portspec.ParseSpec(f.ports, portspec.TCP)
			if err != nil {
				return usage("bad ports: %v", err)
			}
			spec = s
		}
		cfg, err := checkScanConfig(cmd.Context(), &policy.Policy{}, args, spec, false)
		if err != nil {
			return err
		}
		col := &collectSink{}
		if err := run.Scan(cmd.Context(), cfg, col); err != nil {
			return failure(err)
		}
		from.What = "a scan of " + strings.Join(args, " ")
		text = policy.InitScan(from, col.ports)
	default:
		snap, err := sockets.List(cmd.Context(), sockets.Options{Netns: f.netns})
		if err != nil {
			if errors.Is(err, sockets.ErrNoNetns) {
				return usage("%v", err)
			}
			return failure(err)
		}
		m, err := policy.ReadMachine(cmd.Context(), f.netns)
		if err != nil {
			return failure(err)
		}
		from.What = "this machine's sockets"
		if f.netns != "" {
			from.What = "the sockets of network namespace " + f.netns
		}
		text = policy.InitLocal(from, m.Subject, snap.Sockets)
	}
	return writeNewFile(env, f.out, text)
}

// writeNewFile writes text to stdout ("-") or to a new file.
func writeNewFile(env *Env, path, text string) error {
	if path == "-" || path == "" {
		_, err := io.WriteString(env.Stdout, text)
		return failure(err)
	}
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return usageErrorf("cannot write %s: %v", path, err)
	}
	_, err = io.WriteString(fh, text)
	return failure(errors.Join(err, fh.Close()))
}

// readResults reads the port records of a results file, in any format
// ajar diff reads: ajar's JSON or JSON Lines, nmap XML, masscan's or
// naabu's output. Other records (hosts) are skipped.
func readResults(path string) ([]record.PortResult, error) {
	f, err := diff.ReadFile(path)
	if err != nil {
		return nil, usageErrorf("cannot read results: %s", oneLine(err.Error()))
	}
	var out []record.PortResult
	for _, r := range f.Records {
		if p, ok := r.(*record.PortResult); ok {
			out = append(out, *p)
		}
	}
	return out, nil
}

func newPolicyLintCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "lint FILE...",
		Short: "Check policy files: exit 1 naming the line of the first problem",
		Example: `  ajar policy lint policy.yaml
  ajar policy lint policies/*.yaml`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var errs []error
			for _, path := range args {
				p, err := policy.Load(path)
				if err != nil {
					fmt.Fprintf(env.Stderr, "ajar: %v\n", err)
					errs = append(errs, err)
					continue
				}
				allows := 0
				for _, h := range p.Hosts {
					allows += len(h.Allow)
					if len(h.Allow) == 0 {
						fmt.Fprintf(env.Stdout, "%s: note: this host entry allows nothing: every port is denied\n", h.Pos)
					}
				}
				fmt.Fprintf(env.Stdout, "%s: ok: %d host entries, %d allow entries, %d groups\n", path, len(p.Hosts), allows, len(p.Groups))
			}
			if len(errs) > 0 {
				return &exitError{code: ExitFailure, err: fmt.Errorf("%d of %d policy files have problems", len(errs), len(args))}
			}
			return nil
		},
	}
}

func newPolicySchemaCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the policy file's JSON schema, for editors",
		Long: `Print the policy file's JSON schema. With the YAML language server (VS Code's
YAML extension, and others), put this first in a policy file:

  # yaml-language-server: $schema=./ajar-policy.schema.json`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := env.Stdout.Write(policy.Schema)
			return failure(err)
		},
	}
}

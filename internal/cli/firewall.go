package cli

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ajarsec/ajar/firewall"
	"github.com/ajarsec/ajar/internal/datadir"
	"github.com/ajarsec/ajar/policy"
	"github.com/ajarsec/ajar/record"
	"github.com/ajarsec/ajar/sockets"
)

func init() { registerCommand(newFirewallCmd) }

type firewallFlags struct {
	policy, format, host, netns string
	apply, confirm, force       bool
	confirmWithin               time.Duration
	verify                      string
	rollbackAt                  int64 // the detached rollback timer's deadline (hidden)
	subject                     policy.Subject
}

func newFirewallCmd(env *Env) *cobra.Command {
	var f firewallFlags
	cmd := &cobra.Command{
		Use:   "firewall --policy FILE [--apply]",
		Short: "Write (or apply) the firewall rules that allow exactly what a policy allows",
		Long: `Write the firewall rules that allow exactly what the policy allows on this
machine (the host entries matching one of its addresses or its hostname, or
--host's) and drop the rest: established and related traffic, loopback, the
ICMP and ICMPv6 (NDP, packet-too-big) that networks need, then each allowed
port, from its sources and through its interface. Ports allowed on loopback
only get no rule. A DHCP client's port (udp/68, udp/546) must be allowed like
any other: policy init lists it when a client listens. Formats: nftables (default), iptables (iptables-restore),
ufw, firewalld (firewall-offline-cmd) and pf.

The nftables rules live in one table of ajar's own, inet ajar, and filter
the forward hook too: connections DNAT sends on to containers (Docker's
published ports, which bypass INPUT and ufw) get through only to ports the
policy allows.

--apply (Linux, nftables) replaces table inet ajar in one transaction (add
table, flush table, rules; never the whole ruleset, never another table),
reads it back and compares. It refuses rules that would shut out the SSH
connection it runs over (SSH_CONNECTION) unless --force. With
--confirm-within 60s a timer puts the previous table back unless
'ajar firewall --confirm' comes first, as iptables-apply does. --verify NS
rescans the host from network namespace NS afterwards: every allowed port
that listens must answer, every other listening port must be filtered.`,
		Example: `  ajar firewall --policy policy.yaml                 print the nftables rules
  ajar firewall --policy policy.yaml --format ufw    as ufw commands
  ajar firewall --policy policy.yaml --host 10.0.0.5 --format pf
  ajar firewall --policy policy.yaml --apply --confirm-within 60s
  ajar firewall --confirm                            keep the change
  ajar firewall --policy p.yaml --netns blue --apply --verify red`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runFirewall(cmd, env, &f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.policy, "policy", "", "the policy `FILE`")
	fl.StringVar(&f.format, "format", "nftables", "rule `FORMAT`: nftables, iptables, ufw, firewalld or pf")
	fl.StringVar(&f.host, "host", "", "the rules of host `ADDR` (or hostname) instead of this machine's")
	fl.StringVar(&f.netns, "netns", "", "this machine is network namespace `NAME`: its addresses, and --apply there")
	fl.BoolVar(&f.apply, "apply", false, "install the nftables rules (table inet ajar) now (Linux, root)")
	fl.DurationVar(&f.confirmWithin, "confirm-within", 0, "with --apply: put the previous rules back unless confirmed within `DURATION`")
	fl.BoolVar(&f.confirm, "confirm", false, "keep the rules of the last --apply --confirm-within")
	fl.BoolVar(&f.force, "force", false, "with --apply: apply even rules that would shut out this SSH connection")
	fl.StringVar(&f.verify, "verify", "", "with --apply: rescan from network namespace `FROM` and check that exactly the allowed ports answer")
	fl.Int64Var(&f.rollbackAt, "rollback-at", 0, "")
	fl.MarkHidden("rollback-at")
	completeNetns(cmd)
	return cmd
}

func fwUsage(format string, a ...any) error {
	return usageErrorf("%s (see 'ajar firewall --help')", fmt.Sprintf(format, a...))
}

func runFirewall(cmd *cobra.Command, env *Env, f *firewallFlags) error {
	ctx := cmd.Context()
	if f.rollbackAt != 0 {
		return rollbackTimer(ctx, env, f)
	}
	if f.confirm {
		return confirmFirewall(env, f)
	}
	format, err := firewall.ParseFormat(f.format)
	if err != nil {
		return fwUsage("%v", err)
	}
	switch {
	case f.apply && format != firewall.NFT:
		return fwUsage("--apply installs nftables rules only: print the %s rules and apply them with its own tools", format)
	case f.apply && f.host != "":
		return fwUsage("--apply installs this machine's rules: --host prints another host's")
	case !f.apply && (f.confirmWithin != 0 || f.verify != "" || f.force):
		return fwUsage("--confirm-within, --verify and --force go with --apply")
	case f.confirmWithin < 0:
		return fwUsage("--confirm-within takes a positive duration, such as 60s")
	}
	p, err := loadPolicy(f.policy)
	if err != nil {
		return err
	}
	subject, name, err := firewallSubject(ctx, f)
	if err != nil {
		return err
	}
	f.subject = subject
	rs, err := firewall.FromPolicy(p, subject, name)
	if err != nil {
		return fwUsage("%v", err)
	}
	if !f.apply {
		text, err := rs.Render(format)
		if err != nil {
			return failure(err)
		}
		_, err = fmt.Fprint(env.Stdout, text)
		return failure(err)
	}
	return applyFirewall(ctx, env, f, &rs)
}

// firewallSubject is the host the rules are for: --host, or this machine
// (in --netns).
func firewallSubject(ctx context.Context, f *firewallFlags) (policy.Subject, string, error) {
	if f.host != "" {
		if a, err := netip.ParseAddr(f.host); err == nil {
			return policy.Subject{Addrs: []netip.Addr{a.Unmap()}}, f.host, nil
		}
		return policy.Subject{Names: []string{f.host}}, f.host, nil
	}
	m, err := policy.ReadMachine(ctx, f.netns)
	if err != nil {
		if errors.Is(err, sockets.ErrNoNetns) {
			return policy.Subject{}, "", fwUsage("%v", err)
		}
		return policy.Subject{}, "", failure(err)
	}
	name := "this machine"
	if f.netns != "" {
		name = "network namespace " + f.netns
	}
	return m.Subject, name, nil
}

func applyFirewall(ctx context.Context, env *Env, f *firewallFlags, rs *firewall.Ruleset) error {
	if err := sshGuard(f, rs); err != nil {
		return err
	}
	// A change still waiting for --confirm would have its timer undo this
	// one too: one at a time.
	if path, err := pendingPath(env, f.netns); err != nil {
		return failure(err)
	} else if _, err := os.Stat(path); err == nil {
		return failure(fmt.Errorf("the last change waits for confirmation: 'ajar firewall --confirm%s' keeps it, or wait for its rollback", netnsFlag(f.netns)))
	}
	undo, err := firewall.Apply(ctx, f.netns, rs)
	if err != nil {
		return failure(err)
	}
	fmt.Fprintf(env.Stdout, "applied: table inet %s (%d port rules) for %s, read back and compared\n", firewall.Table, len(rs.Rules), rs.Host)
	if f.confirmWithin > 0 {
		if err := startRollbackTimer(env, f, undo); err != nil {
			if rerr := firewall.Restore(ctx, f.netns, undo); rerr != nil {
				err = errors.Join(err, rerr)
			}
			return failure(fmt.Errorf("no rollback timer, so the change is undone: %w", err))
		}
		fmt.Fprintf(env.Stdout, "the previous rules come back in %s unless confirmed: ajar firewall --confirm%s\n", f.confirmWithin, netnsFlag(f.netns))
	}
	if f.verify != "" {
		return verifyFirewall(ctx, env, f, rs)
	}
	return nil
}

func netnsFlag(netns string) string {
	if netns == "" {
		return ""
	}
	return " --netns " + netns
}

// sshGuard refuses rules that would not let this SSH connection (its
// client, to its server port) in again, unless --force: when the
// connection's server address is one of the addresses the rules are
// applied on (this machine's, or --netns's).
func sshGuard(f *firewallFlags, rs *firewall.Ruleset) error {
	fields := strings.Fields(os.Getenv("SSH_CONNECTION"))
	if len(fields) != 4 || f.force {
		return nil
	}
	client, err1 := netip.ParseAddr(fields[0])
	server, err2 := netip.ParseAddr(fields[2])
	port, err3 := strconv.ParseUint(fields[3], 10, 16)
	if err1 != nil || err2 != nil || err3 != nil || !slices.Contains(f.subject.Addrs, server.Unmap()) {
		return nil
	}
	if rs.Admits(record.TCP, client, uint16(port), "") {
		return nil
	}
	return failure(fmt.Errorf("refusing: these rules would shut out your SSH connection (from %s to port %d): allow tcp/%d from it in the policy, or give --force",
		client, port, port))
}

// pendingPath is where the undo script of an unconfirmed change waits.
func pendingPath(env *Env, netns string) (string, error) {
	dir, err := datadir.Ensure(env.DataDir)
	if err != nil {
		return "", err
	}
	key := "host"
	if netns != "" {
		key = "netns-" + strings.NewReplacer("/", "_", ".", "_").Replace(netns)
	}
	return filepath.Join(dir, "firewall-pending-"+key+".nft"), nil
}

// startRollbackTimer keeps the undo script and starts, detached, the
// process that applies it at the deadline unless --confirm removed it.
func startRollbackTimer(env *Env, f *firewallFlags, undo string) error {
	path, err := pendingPath(env, f.netns)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, []byte(undo), 0o600); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	deadline := time.Now().Add(f.confirmWithin)
	args := []string{"firewall", "--rollback-at", strconv.FormatInt(deadline.UnixMilli(), 10), "--data-dir", filepath.Dir(path)}
	if f.netns != "" {
		args = append(args, "--netns", f.netns)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = os.Environ()
	// The timer's own errors go to a log beside the undo script.
	logf, err := os.OpenFile(strings.TrimSuffix(path, ".nft")+".log", os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		os.Remove(path)
		return err
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	firewall.Detach(cmd)
	if err := cmd.Start(); err != nil {
		os.Remove(path)
		return err
	}
	return cmd.Process.Release()
}

// rollbackTimer is the detached process: at the deadline it puts the
// previous rules back, unless the change was confirmed.
func rollbackTimer(ctx context.Context, env *Env, f *firewallFlags) error {
	path, err := pendingPath(env, f.netns)
	if err != nil {
		return failure(err)
	}
	deadline := time.UnixMilli(f.rollbackAt)
	if time.Until(deadline) > 24*time.Hour {
		return fwUsage("--rollback-at is more than a day away")
	}
	for time.Now().Before(deadline) {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil // confirmed
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(min(200*time.Millisecond, time.Until(deadline)+time.Millisecond)):
		}
	}
	// Claim the undo script, so that a --confirm from now on says there
	// is nothing to confirm rather than confirming what is undone.
	claimed := path + ".undoing"
	if err := os.Rename(path, claimed); err != nil {
		return nil // confirmed at the last moment
	}
	defer os.Remove(claimed)
	undo, err := os.ReadFile(claimed)
	if err != nil {
		return failure(err)
	}
	return failure(firewall.Restore(ctx, f.netns, string(undo)))
}

// confirmFirewall keeps the last change: the timer finds nothing to undo.
func confirmFirewall(env *Env, f *firewallFlags) error {
	path, err := pendingPath(env, f.netns)
	if err != nil {
		return failure(err)
	}
	if err := os.Remove(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return failure(fmt.Errorf("nothing to confirm: no change waits (it was confirmed, or already rolled back)"))
		}
		return failure(err)
	}
	_, err = fmt.Fprintln(env.Stdout, "confirmed: the rules stay")
	return failure(err)
}

// verifyFirewall rescans this machine's addresses from network namespace
// FROM (a whole ajar process there) and judges the answers.
func verifyFirewall(ctx context.Context, env *Env, f *firewallFlags, rs *firewall.Ruleset) error {
	snap, err := sockets.List(ctx, sockets.Options{Netns: f.netns, NoUDP: true})
	if err != nil {
		return failure(err)
	}
	m, err := policy.ReadMachine(ctx, f.netns)
	if err != nil {
		return failure(err)
	}
	var targets []string
	for _, a := range m.Subject.Addrs {
		if !a.IsLoopback() && !a.IsLinkLocalUnicast() {
			targets = append(targets, a.String())
		}
	}
	ports := firewall.VerifyPorts(rs, snap.Sockets)
	if len(targets) == 0 || ports.IsEmpty() {
		fmt.Fprintln(env.Stdout, "verify: nothing to rescan (no address, or no TCP port that listens or is allowed)")
		return nil
	}
	exe, err := os.Executable()
	if err != nil {
		return failure(err)
	}
	out, err := os.CreateTemp("", "ajar-verify-*.jsonl")
	if err != nil {
		return failure(err)
	}
	defer os.Remove(out.Name())
	args := append([]string{"netns", "exec", f.verify, exe, "scan", "-sT", "-Pn", "--all-ports", "-q", "-o", "jsonl",
		"--max-timeout", "1s", "-p", ports.String()}, targets...)
	cmd := exec.CommandContext(ctx, "ip", args...)
	cmd.Env = append(os.Environ(), "AJAR_NO_STORE=1")
	cmd.Stdout = out
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err = cmd.Run()
	out.Close()
	if err != nil {
		return failure(fmt.Errorf("rescanning from %s: %v: %s", f.verify, err, oneLine(stderr.String())))
	}
	results, err := readResults(out.Name())
	if err != nil {
		return failure(err)
	}
	bad := 0
	for _, v := range firewall.Verify(rs, snap.Sockets, results) {
		fmt.Fprintf(env.Stdout, "verify: %s\n", v)
		if !v.OK {
			bad++
		}
	}
	if bad > 0 {
		return failure(fmt.Errorf("verify: %d port(s) from %s do not answer as the rules say", bad, f.verify))
	}
	fmt.Fprintf(env.Stdout, "verify: from %s, every allowed port that listens answers and every other listening port is filtered\n", f.verify)
	return nil
}

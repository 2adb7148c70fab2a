package policy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"github.com/ajarsec/ajar/sockets"
)

func inNetns(netns string, fn func() error) error {
	if netns == "" {
		return fn()
	}
	return sockets.InNetns(netns, fn)
}

// readNAT reads the DNAT rules: nft's ruleset (which holds iptables-nft's
// rules too), else iptables-save's nat table (iptables-legacy). It runs
// on the caller's thread, so that a thread moved into a namespace reads
// that namespace's rules.
func readNAT(ctx context.Context) ([]NATPort, []string) {
	out, err := runBounded(ctx, "nft", "-j", "list", "ruleset")
	if err == nil {
		ns, err := ParseNftJSON(out)
		if err == nil {
			return ns, nil
		}
		return nil, []string{"reading nft's ruleset: " + err.Error()}
	}
	var notes []string
	if !errors.Is(err, exec.ErrNotFound) {
		notes = append(notes, "nft -j list ruleset: "+err.Error())
	}
	var all []NATPort
	found := false
	for _, cmd := range []string{"iptables-save", "ip6tables-save"} {
		out, err := runBounded(ctx, cmd, "-t", "nat")
		if err != nil {
			continue
		}
		found = true
		all = append(all, ParseIptablesSave(string(out))...)
	}
	if !found && len(notes) == 0 {
		notes = append(notes, "neither nft nor iptables-save could be run: ports published by DNAT rules are not judged")
	}
	return all, notes
}

func runBounded(ctx context.Context, name string, args ...string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &limited{&stdout, maxRuleset}, &limited{&stderr, 4096}
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return nil, fmt.Errorf("%w: %s", err, strings.SplitN(msg, "\n", 2)[0])
		}
		return nil, err
	}
	if stdout.Len() >= maxRuleset {
		return nil, fmt.Errorf("%s: output over %d bytes", name, maxRuleset)
	}
	return stdout.Bytes(), nil
}

// limited keeps at most n bytes, and takes the rest without keeping it.
type limited struct {
	b *bytes.Buffer
	n int
}

func (l *limited) Write(p []byte) (int, error) {
	if room := l.n - l.b.Len(); room > 0 {
		l.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

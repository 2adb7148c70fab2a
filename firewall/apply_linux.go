package firewall

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"syscall"

	"github.com/ajarsec/ajar/sockets"
)

// maxNftOutput bounds what nft's output is read.
const maxNftOutput = 16 << 20

// nft runs nft with args and script on stdin, in network namespace netns
// ("" the caller's): the whole nft process runs there, as it is started
// from a thread moved into the namespace.
func nft(ctx context.Context, netns, script string, args ...string) ([]byte, error) {
	var out []byte
	run := func() error {
		cmd := exec.CommandContext(ctx, "nft", args...)
		if script != "" {
			cmd.Stdin = strings.NewReader(script)
		}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			msg := strings.TrimSpace(stderr.String())
			if len(msg) > 2000 {
				msg = msg[:2000] + " …"
			}
			if msg != "" {
				return fmt.Errorf("nft %s: %w: %s", strings.Join(args, " "), err, msg)
			}
			return fmt.Errorf("nft %s: %w", strings.Join(args, " "), err)
		}
		if stdout.Len() > maxNftOutput {
			return fmt.Errorf("nft %s: output over %d bytes", strings.Join(args, " "), maxNftOutput)
		}
		out = stdout.Bytes()
		return nil
	}
	if netns == "" {
		return out, run()
	}
	return out, sockets.InNetns(netns, run)
}

// Current returns the script that restores table inet ajar as it is now:
// the table's text, or its deletion when there is none. It is what a
// rollback applies.
func Current(ctx context.Context, netns string) (string, error) {
	// Declaring the table first makes the delete valid when it does not
	// exist; the whole script is one transaction.
	head := fmt.Sprintf("table inet %s\ndelete table inet %s\n", Table, Table)
	out, err := nft(ctx, netns, "", "list", "table", "inet", Table)
	if err != nil {
		if strings.Contains(err.Error(), "No such file or directory") {
			return head, nil
		}
		return "", err
	}
	return head + string(out), nil
}

// Apply replaces table inet ajar with the ruleset in one transaction,
// reads it back and compares it with the ruleset. When the table read
// back differs, the previous table is put back and the difference is the
// error. It returns the script that undoes it (Restore).
func Apply(ctx context.Context, netns string, rs *Ruleset) (undo string, err error) {
	if undo, err = Current(ctx, netns); err != nil {
		return "", err
	}
	if _, err := nft(ctx, netns, rs.NFT(), "-f", "-"); err != nil {
		return "", err
	}
	got, err := nft(ctx, netns, "", "-j", "list", "table", "inet", Table)
	if err == nil {
		err = Compare(rs, got)
	}
	if err != nil {
		if rerr := Restore(ctx, netns, undo); rerr != nil {
			return "", fmt.Errorf("%w; and putting the previous table back failed: %v", err, rerr)
		}
		return "", fmt.Errorf("%w (the previous table is back)", err)
	}
	return undo, nil
}

// Check has nft parse and check the ruleset without applying it (nft -c).
func Check(ctx context.Context, netns string, rs *Ruleset) error {
	_, err := nft(ctx, netns, rs.NFT(), "-c", "-f", "-")
	return err
}

// Restore applies a script Current or Apply returned.
func Restore(ctx context.Context, netns, script string) error {
	_, err := nft(ctx, netns, script, "-f", "-")
	return err
}

// Detach makes cmd start in a session of its own, so that it outlives the
// terminal (and the SSH connection) of the process that starts it: the
// rollback timer must fire even when the change cut that connection.
func Detach(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} }

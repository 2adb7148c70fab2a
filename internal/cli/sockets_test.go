package cli_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/ajarsec/ajar/internal/cli"
)

// runAjar runs ajar in this process, as main does.
func runAjar(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	code = cli.Run(context.Background(), args, &cli.Env{Stdout: &o, Stderr: &e, Version: "test"})
	return o.String(), e.String(), code
}

// TestSocketsBadInput: bad flag values end with one plain line and exit
// 2: no Go parser names, no doubled "ajar: ajar sockets:" prefix.
func TestSocketsBadInput(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"sockets", "--pid", "abc"}, `ajar: invalid argument "abc" for --pid: not a whole number (see 'ajar sockets --help')`},
		{[]string{"sockets", "--pid", "99999999999999999999"}, `ajar: invalid argument "99999999999999999999" for --pid: out of range (see 'ajar sockets --help')`},
		{[]string{"sockets", "--pid", "-1"}, "ajar: bad --pid -1: a pid is a positive number"},
		{[]string{"sockets", "--pid", "0"}, "ajar: bad --pid 0: a pid is a positive number"},
		{[]string{"sockets", "--pid"}, "ajar: flag needs an argument: --pid (see 'ajar sockets --help')"},
		{[]string{"sockets", "--port", "x"}, `ajar: bad --port: port list "x": "x" is not a port number`},
		{[]string{"sockets", "-o", "nosuch"}, `ajar: unknown output format "nosuch"`},
		{[]string{"sockets", "-4=maybe"}, `ajar: invalid argument "maybe" for --ipv4: not true or false`},
		{[]string{"ls", "--bogus"}, "ajar: unknown flag: --bogus (see 'ajar sockets --help')"},
		{[]string{"sockets", "--netns", "ajar-no-such-ns"}, "ajar: no such network namespace: ajar-no-such-ns"},
	}
	for _, tt := range tests {
		stdout, stderr, code := runAjar(t, tt.args...)
		if code != cli.ExitUsage {
			t.Errorf("ajar %v: exit %d, want %d", tt.args, code, cli.ExitUsage)
		}
		if !strings.HasPrefix(stderr, tt.want) || strings.Count(stderr, "\n") != 1 ||
			!strings.HasSuffix(stderr, " (see 'ajar sockets --help')\n") {
			t.Errorf("ajar %v: stderr %q, want one line starting %q and pointing at the help", tt.args, stderr, tt.want)
		}
		for _, internal := range []string{"strconv", "Parse", "ajar: ajar", "sockets: ajar"} {
			if strings.Contains(stderr, internal) {
				t.Errorf("ajar %v: stderr %q shows %q", tt.args, stderr, internal)
			}
		}
		if stdout != "" {
			t.Errorf("ajar %v: stdout %q", tt.args, stdout)
		}
	}
}

// Package cli builds ajar's command tree. Each subcommand lives in its own
// file and only turns flags into the config structs of the domain packages:
// no scanning or listing logic lives here.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"unicode/utf8"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"
)

// Exit codes.
const (
	ExitOK          = 0
	ExitFailure     = 1   // something went wrong while working
	ExitUsage       = 2   // bad input: flags, arguments, names that do not exist
	ExitInterrupted = 130 // stopped by SIGINT or SIGTERM
)

// exitError carries the exit code an error should end ajar with.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErrorf reports bad input from the user: exit code 2.
func usageErrorf(format string, a ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, a...)}
}

// failure reports an error met while doing the work: exit code 1.
func failure(err error) error {
	if err == nil {
		return nil
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	return &exitError{code: ExitFailure, err: err}
}

// Env is what a command run sees of the world: its streams and version.
type Env struct {
	Stdout, Stderr io.Writer
	Version        string
	// DataDir is the --data-dir flag, set when the command line is parsed;
	// resolve it with internal/datadir.
	DataDir string
}

// commands are the subcommands that register themselves from their own
// file (func init() { registerCommand(newXCmd) }), so that adding one does
// not edit this file.
var commands []func(*Env) *cobra.Command

// registerCommand adds a subcommand to every command tree NewRoot builds.
func registerCommand(newCmd func(*Env) *cobra.Command) { commands = append(commands, newCmd) }

// isTerminal reports whether w is a terminal that can take colour.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

func colorWanted(w io.Writer) bool {
	return isTerminal(w) && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
}

// NewRoot builds the command tree.
func NewRoot(env *Env) *cobra.Command {
	root := &cobra.Command{
		Use:   "ajar",
		Short: "ajar finds which ports are open, who opened them, and whether they should be",
		Long: `ajar answers one question for the people who run networks: which doors are
open, who opened them, and should they be?

  ajar sockets        what listens on this machine: process, user, exposure
  ajar sockets -a     every socket, in every state
  ajar sockets --exposed
                      only the listeners other hosts can reach
  ajar scan 127.0.0.1 which TCP ports of a host are open, closed or filtered
  ajar scan -p- 10.0.0.0/24 --save xml:scan.xml
                      every port of a network, also saved as nmap XML
  ajar scan -sV 127.0.0.1
                      and which service and version answers on each open port
  ajar identify 127.0.0.1:8443
                      identify the service on ports already known to be open`,
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{HiddenDefaultCmd: false},
		Version:           env.Version,
	}
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	root.SetVersionTemplate("ajar {{.Version}}\n")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return flagError(c, err) })
	root.PersistentFlags().StringVar(&env.DataDir, "data-dir", "",
		"ajar's data directory (vulnerability database, history); default $XDG_DATA_HOME/ajar or ~/.local/share/ajar")
	root.AddCommand(newVersionCmd(env), newSocketsCmd(env), newScanCmd(env), newIdentifyCmd(env))
	for _, newCmd := range commands {
		root.AddCommand(newCmd(env))
	}
	root.SetHelpCommand(newHelpCmd(env, root))
	return root
}

// Run runs ajar with args (without the program name) and returns its exit
// code. ctx is cancelled by SIGINT or SIGTERM.
func Run(ctx context.Context, args []string, env *Env) int {
	root := NewRoot(env)
	args, err := rewriteNmapFlags(args)
	if err == nil {
		root.SetArgs(args)
		err = root.ExecuteContext(ctx)
	}
	if err == nil {
		return ExitOK
	}
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		fmt.Fprintln(env.Stderr, "ajar: interrupted")
		return ExitInterrupted
	}
	code := ExitUsage // errors cobra makes itself: unknown commands, bad arguments
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	if errors.Is(err, errSaid) {
		return code // said already, by the ajar that ran in a namespace
	}
	msg := oneLine(strings.TrimSpace(err.Error()))
	if code == ExitUsage && !strings.Contains(msg, "--help") && !strings.Contains(msg, "(see '") {
		msg += " (see 'ajar --help')"
	}
	fmt.Fprintln(env.Stderr, "ajar: "+msg)
	return code
}

// Version is ajar's version: the one set at link time, else the module's.
func Version(linked string) string {
	if linked != "" {
		return linked
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func newVersionCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print ajar's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(env.Stdout, "ajar %s\n", env.Version)
			return failure(err)
		},
	}
}

// maxMessage bounds an error line: a 100 kB bad target is not echoed whole.
const maxMessage = 400

// oneLine makes an error message one line of at most maxMessage bytes,
// cutting the middle of a longer one (where a long argument is quoted).
func oneLine(msg string) string {
	msg = strings.Join(strings.Fields(msg), " ")
	if len(msg) <= maxMessage {
		return msg
	}
	head, tail := msg[:maxMessage*2/3], msg[len(msg)-maxMessage/4:]
	for !utf8.ValidString(head) {
		head = head[:len(head)-1]
	}
	for !utf8.ValidString(tail) {
		tail = tail[1:]
	}
	return fmt.Sprintf("%s … (%d bytes cut) … %s", head, len(msg)-len(head)-len(tail), tail)
}

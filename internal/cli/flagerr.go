package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// flagError turns an error of flag parsing into one line for the user: the
// flag, the value and what is wrong with it, in words, and where to read
// more. Run prints it after "ajar: ", so the command's path is not
// repeated in front: "ajar: invalid argument "abc" for --pid: not a whole
// number (see 'ajar sockets --help')".
func flagError(c *cobra.Command, err error) error {
	msg := err.Error()
	var ive *pflag.InvalidValueError
	if errors.As(err, &ive) {
		msg = fmt.Sprintf("invalid argument %q for --%s: %s", ive.GetValue(), ive.GetFlag().Name,
			valueProblem(ive.GetFlag().Value.Type(), errors.Unwrap(ive)))
	}
	return usageErrorf("%s (see '%s --help')", msg, c.CommandPath())
}

// valueProblem says in words why a value does not parse as a flag of type
// typ (pflag's names: "int", "uint16", "duration", ...), without Go's
// parser names ("strconv.ParseInt: parsing ...").
func valueProblem(typ string, cause error) string {
	var ne *strconv.NumError
	switch {
	case errors.As(cause, &ne) && errors.Is(ne.Err, strconv.ErrRange):
		return "out of range"
	case strings.HasPrefix(typ, "int") || strings.HasPrefix(typ, "uint"):
		return "not a whole number"
	case strings.HasPrefix(typ, "float"):
		return "not a number"
	case typ == "duration":
		return "not a duration such as 500ms, 2s or 1m"
	case typ == "bool":
		return "not true or false"
	case cause == nil:
		return "not valid"
	}
	return cause.Error() // our own Value types say it themselves
}

package cli

import (
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ajarsec/ajar/report"
)

// Shell completion of flag values: 'ajar completion bash' and the like
// write the scripts; these say what each value may be.

// completeFormats completes -o and --save with the output formats, and
// --save with FORMAT: before a file name.
func completeFormats(cmd *cobra.Command, suffix string, kind string) {
	fn := func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if suffix != "" && strings.Contains(toComplete, suffix) {
			return nil, cobra.ShellCompDirectiveDefault // the path: files
		}
		var out []string
		for _, f := range report.Formats() {
			if kind == "" || f.Takes(kind) {
				out = append(out, string(f.Name)+suffix+"\t"+f.Description)
			}
		}
		dir := cobra.ShellCompDirectiveNoFileComp
		if suffix != "" {
			dir |= cobra.ShellCompDirectiveNoSpace
		}
		return out, dir
	}
	name := "output"
	if suffix != "" {
		name = "save"
	}
	cmd.RegisterFlagCompletionFunc(name, fn)
}

// completeNetns completes --netns with the namespaces 'ip netns' knows.
func completeNetns(cmd *cobra.Command) {
	cmd.RegisterFlagCompletionFunc("netns", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		entries, err := os.ReadDir("/run/netns")
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, e := range entries {
			out = append(out, e.Name())
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
}

// completeScanFlags completes the values of ajar scan's flags.
func completeScanFlags(cmd *cobra.Command) {
	completeFormats(cmd, "", "port")
	completeFormats(cmd, ":", "port")
	cmd.RegisterFlagCompletionFunc("timing", cobra.FixedCompletions(
		[]string{"0\tparanoid", "1\tsneaky", "2\tpolite", "3\tnormal", "4\taggressive", "5\tinsane"}, cobra.ShellCompDirectiveNoFileComp))
	cmd.RegisterFlagCompletionFunc("shard", cobra.FixedCompletions([]string{"1/2", "2/2", "1/4"}, cobra.ShellCompDirectiveNoFileComp))
}

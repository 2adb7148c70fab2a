package policy

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse: no input panics, and every error is a policy Error that
// names the file, on one line.
func FuzzParse(f *testing.F) {
	for _, s := range []string{minimal, "version: 1\nx: &a [*a]\n", "version: 1\nhosts:\n  - match: [a, b]\n    allow: [{port: udp/53, sources: [::/0]}]\n",
		"{{{{", "version: 1\ngroups: {g: [10.0.0.0/8]}\nhosts: [{match: g, allow: [{port: tcp/1-65535}]}]\n", "- - - -\n", "version: !!int 1\n", "'\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("f.yaml", data)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("%T %v", err, err)
			}
			if !strings.HasPrefix(err.Error(), "f.yaml") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q", err)
			}
			return
		}
		Evaluate(p, &Observed{})
		p.Spec()
		p.Targets()
	})
}

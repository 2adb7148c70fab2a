package audittest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/record"
)

func TestSummary(t *testing.T) {
	ok := record.Finding{ID: "a", Category: record.NoAuth, Severity: record.High, Evidence: "e", Remediation: "r",
		References: []string{"CWE-306"}}
	noRefs := ok
	noRefs.ID, noRefs.References = "b", nil
	long := ok
	long.ID, long.Evidence = "c", strings.Repeat("x", record.MaxEvidence+1)
	for _, tc := range []struct {
		fs   []record.Finding
		err  error
		want string
	}{
		{[]record.Finding{ok, ok}, nil, "a/high,a/high"},
		{nil, fmt.Errorf("x: %w", audit.ErrNotApplicable), "n/a"},
		{nil, errors.New("boom"), "error: boom"},
		{[]record.Finding{ok, noRefs}, nil, "incomplete b"},
		{[]record.Finding{long}, nil, "incomplete c"},
	} {
		if got := Summary(tc.fs, tc.err); got != tc.want {
			t.Errorf("Summary = %q, want %q", got, tc.want)
		}
	}
}

func TestServeTCP(t *testing.T) {
	addr := ServeTCP(t, func(c net.Conn) { io.WriteString(c, "hello\n") })
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if b, err := io.ReadAll(c); err != nil || string(b) != "hello\n" {
		t.Errorf("read %q, %v", b, err)
	}
}

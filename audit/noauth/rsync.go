package noauth

import (
	"bytes"
	"context"
	"fmt"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { audit.Register(rsyncCheck{}) }

type rsyncCheck struct{}

func (rsyncCheck) Info() audit.Info {
	return audit.Info{Name: "rsync-modules", Services: []string{"rsync"}, Proto: portspec.TCP}
}

// rsyncEnd is the line that ends a daemon's answer.
var rsyncEnd = []byte("@RSYNCD: EXIT")

func (rsyncCheck) Run(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	c, err := t.Dial(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	greeting, err := audit.ReadUntil(c, audit.UntilLine, 256)
	if err != nil {
		return nil, fmt.Errorf("greeting: %w", err)
	}
	if !bytes.HasPrefix(greeting, []byte("@RSYNCD: ")) {
		return nil, audit.ErrNotApplicable
	}
	// Our version, then an empty module name: the daemon lists the
	// modules its configuration does not hide (rsyncd.conf "list").
	list, err := audit.Exchange(c, []byte("@RSYNCD: 31.0\n\n"), audit.UntilContains(string(rsyncEnd)), replyMax)
	if err != nil && !bytes.Contains(list, rsyncEnd) {
		return nil, fmt.Errorf("module list: %w", err)
	}
	return JudgeRsync(list)
}

// JudgeRsync judges an rsync daemon's answer to an empty module name: the
// listed modules, one "name<TAB>comment" a line before "@RSYNCD: EXIT".
// None listed is not applicable.
func JudgeRsync(b []byte) ([]record.Finding, error) {
	var mods []string
	for _, line := range bytes.Split(b, []byte("\n")) {
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 || bytes.HasPrefix(line, []byte("@RSYNCD:")) || bytes.HasPrefix(line, []byte("@ERROR")) {
			continue
		}
		name, _, _ := bytes.Cut(line, []byte("\t"))
		mods = append(mods, string(bytes.TrimSpace(name)))
	}
	if !bytes.Contains(b, rsyncEnd) || len(mods) == 0 {
		return nil, audit.ErrNotApplicable
	}
	return []record.Finding{{
		ID: "rsync-modules-listed", Category: record.InfoLeak, Severity: record.Low,
		Title:    "rsync daemon lists its modules to anyone",
		Evidence: audit.Evidence([]byte(fmt.Sprintf("%d module(s): %s", len(mods), bytes.Join(toBytes(mods), []byte(", "))))),
		Remediation: "hide the modules (`list = no` in each rsyncd.conf module), and require users " +
			"(`auth users` with `secrets file`) on any module that is not public; limit `hosts allow`",
		References: []string{"CWE-200", "rsyncd.conf(5)"},
		Confidence: record.Confirmed,
	}}, nil
}

func toBytes(ss []string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

package run

import (
	"context"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/record"
)

// VulnMatcher judges an audited port from what is known rather than
// from talking to it: it adds the known vulnerabilities of the port's
// identified service (vulndb's PortJudge) to r.Findings, and may drop the
// findings a file of accepted risks suppresses. It is called from several
// goroutines at once.
type VulnMatcher interface {
	Judge(ctx context.Context, r *record.PortResult) error
}

// vulnPort runs the matcher on an identified open port after its audit,
// and sorts the port's findings worst first.
func vulnPort(ctx context.Context, v VulnMatcher, r *record.PortResult) error {
	if v == nil || r.State != record.Open || r.Service == nil || ctx.Err() != nil {
		return nil
	}
	err := v.Judge(ctx, r)
	audit.Sort(r.Findings)
	return err
}

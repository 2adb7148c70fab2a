package run

import (
	"context"
	"net/netip"
	"time"

	"github.com/ajarsec/ajar/audit"
	_ "github.com/ajarsec/ajar/audit/all" // the checks compiled in
	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/record"
)

// AuditConfig is how identified ports are audited (`ajar scan --audit`):
// the audit package's budgets (zero: its defaults) and whether intrusive
// checks run. An audit needs identification: Scan identifies ports when
// Config.Audit is set, with Config.Identify's settings or the defaults.
type AuditConfig struct {
	// Intrusive runs the intrusive checks too (--audit-intrusive).
	Intrusive bool `json:"intrusive,omitempty"`
	// Timeout bounds one check on one port.
	Timeout time.Duration `json:"timeout,omitempty"`
	// MaxBytes bounds what one check reads from one port.
	MaxBytes int `json:"max_bytes,omitempty"`
	// Vulns, when set, adds each audited port's known vulnerabilities
	// (package vulndb) to its findings. It is not kept in checkpoints.
	Vulns VulnMatcher `json:"-"`
}

func (a *AuditConfig) audit() *audit.Config {
	if a == nil {
		return nil
	}
	return &audit.Config{Intrusive: a.Intrusive, Timeout: a.Timeout, MaxBytes: a.MaxBytes}
}

// withAudit makes an audit imply identification.
func (c *Config) withAudit() {
	if c.Audit != nil && c.Identify == nil {
		c.Identify = &Identify{}
	}
}

// identifyForAudit identifies a port, and when it is to be audited and
// identification named nothing although the port answered the scan,
// tries once more with a fresh budget: on a loaded machine a port's budget
// can run out before its service answers, and the audit's checks run only
// on a named service, so a port left unnamed is a risk left unjudged. A
// silent UDP port (open|filtered) is not tried again.
func identifyForAudit(ctx context.Context, id *fingerprint.Config, au *audit.Config, r *record.PortResult) error {
	before := *r
	err := identify(ctx, id, r)
	if au == nil || r.State != record.Open || named(r.Service) || ctx.Err() != nil {
		return err
	}
	again := before
	if err2 := identify(ctx, id, &again); named(again.Service) {
		*r = again
		return err2
	}
	return err
}

// named reports whether identification named the service.
func named(s *record.Service) bool {
	return s != nil && s.Method != "port-table" && s.Name != "unknown"
}

// auditPort runs the checks that apply to an identified port and puts
// their findings on its record, worst first. It returns the checks'
// failures, for a warning; none after ctx was cancelled.
func auditPort(ctx context.Context, cfg *audit.Config, r *record.PortResult) error {
	if cfg == nil || r.State != record.Open || r.Service == nil || ctx.Err() != nil {
		return nil
	}
	t := audit.Target{Addr: netip.AddrPortFrom(r.Host, r.Port), Proto: r.Proto, Host: r.Hostname, Service: r.Service}
	fs, err := cfg.Audit(ctx, t)
	r.Findings = fs
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// AuditPorts identifies the service on each endpoint and audits it, as
// IdentifyPorts does, each port's findings on its record: `ajar audit`
// judges this machine's listeners so, with no port scan. It returns
// ErrNoneIdentified when no service was named.
func AuditPorts(ctx context.Context, eps []Endpoint, id Identify, au AuditConfig, ev Events, sink Sink) error {
	return identifyPorts(ctx, eps, id, &au, ev, sink)
}

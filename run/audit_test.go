package run

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

type fakeCheck struct{ runs *int }

func (fakeCheck) Info() audit.Info {
	return audit.Info{Name: "fake", Services: []string{"redis"}, Proto: portspec.TCP}
}

func (c fakeCheck) Run(context.Context, *audit.Target) ([]record.Finding, error) {
	*c.runs++
	return []record.Finding{{ID: "fake", Category: record.NoAuth, Severity: record.High, Title: "fake",
		Confidence: record.Confirmed}}, errors.New("half done")
}

// TestAuditStage: an audit implies identification; only an open,
// identified port is audited, and its findings and the checks' errors
// come back; a cancelled scan audits nothing.
func TestAuditStage(t *testing.T) {
	c := Config{Audit: &AuditConfig{}}
	c.withAudit()
	if c.Identify == nil {
		t.Error("an audit without identification")
	}
	c = Config{Audit: &AuditConfig{Timeout: -1}}
	if err := c.check(); !errors.Is(err, ErrConfig) {
		t.Errorf("negative audit budget: %v", err)
	}
	runs := 0
	cfg := &audit.Config{Checks: []audit.Check{fakeCheck{&runs}}}
	redis := &record.Service{Name: "redis", Method: "probed"}
	at := netip.MustParseAddr("192.0.2.1")
	for _, r := range []record.PortResult{
		{Host: at, Port: 80, Proto: record.TCP, State: record.Closed, Service: redis},
		{Host: at, Port: 80, Proto: record.TCP, State: record.Open},
		{Host: at, Port: 80, Proto: record.TCP, State: record.Open, Service: &record.Service{Name: "redis", Method: "port-table"}},
	} {
		if err := auditPort(context.Background(), cfg, &r); err != nil || r.Findings != nil {
			t.Errorf("%v %v: audited: %v %v", r.State, r.Service, r.Findings, err)
		}
	}
	r := record.PortResult{Host: at, Port: 80, Proto: record.TCP, State: record.Open, Service: redis}
	err := auditPort(context.Background(), cfg, &r)
	if runs != 1 || len(r.Findings) != 1 || err == nil {
		t.Errorf("an open Redis: %d runs, findings %v, error %v", runs, r.Findings, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r.Findings = nil
	if err := auditPort(ctx, cfg, &r); err != nil || runs != 1 {
		t.Errorf("after cancel: %d runs, %v", runs, err)
	}
	if err := auditPort(context.Background(), nil, &r); err != nil || r.Findings != nil {
		t.Error("no audit config, yet audited")
	}
}

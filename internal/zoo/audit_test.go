//go:build linux

package zoo

import (
	"testing"

	"github.com/ajarsec/ajar/record"
)

// TestAuditCatalog: the audit zoo's truth table and catalog agree: every
// row names a daemon and one of its ports, with a real category and
// severity; every daemon has a row; no two daemons share a port.
func TestAuditCatalog(t *testing.T) {
	ports := map[uint16]string{}
	byName := map[string]*daemon{}
	for _, d := range catalogAudit() {
		byName[d.name] = d
		for _, s := range d.services {
			if other, dup := ports[s.port]; dup && other != d.name {
				t.Errorf("port %d of %s is %s's too", s.port, d.name, other)
			}
			ports[s.port] = d.name
		}
	}
	rows := map[string]bool{}
	for _, r := range AuditTruth() {
		rows[r.Daemon] = true
		d := byName[r.Daemon]
		if d == nil {
			t.Errorf("row %+v: no such daemon", r)
			continue
		}
		if ports[r.Port] != r.Daemon {
			t.Errorf("row %+v: port %d is not the daemon's", r, r.Port)
		}
		if !record.Category(r.Category).Valid() {
			t.Errorf("row %+v: category", r)
		}
		if r.Severity != "" {
			if _, err := record.ParseSeverity(r.Severity); err != nil || r.ID == "" {
				t.Errorf("row %+v: severity or id", r)
			}
		} else if r.ID != "" {
			t.Errorf("twin row %+v has an id", r)
		}
	}
	for name := range byName {
		if !rows[name] {
			t.Errorf("daemon %s has no row in AuditTruth", name)
		}
	}
}

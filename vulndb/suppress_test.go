package vulndb

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ajarsec/ajar/record"
)

func TestSuppressions(t *testing.T) {
	const file = `# accepted risks
CVE-2023-51385  10.0.0.0/24:22   2026-12-31  no ProxyCommand with %h here
redis-no-auth   *:6379           never       lab machine
CVE-2024-6387   [2001:db8::1]:22 2026-11-30  LoginGraceTime 0 set
`
	s, err := ReadSuppressions(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	fs := func() []record.Finding {
		return []record.Finding{{ID: "CVE-2023-51385", Evidence: "e"}, {ID: "redis-no-auth"}, {ID: "CVE-2024-6387", Evidence: "x"}}
	}
	ids := func(fs []record.Finding) string {
		var out []string
		for _, f := range fs {
			out = append(out, f.ID)
		}
		return strings.Join(out, ",")
	}
	now := time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC)
	if got := ids(s.Apply(netip.MustParseAddr("10.0.0.7"), 22, fs(), now)); got != "redis-no-auth,CVE-2024-6387" {
		t.Errorf("10.0.0.7:22 kept %s", got)
	}
	if got := ids(s.Apply(netip.MustParseAddr("10.0.1.7"), 22, fs(), now)); got != "CVE-2023-51385,redis-no-auth,CVE-2024-6387" {
		t.Errorf("10.0.1.7:22 kept %s", got)
	}
	if got := ids(s.Apply(netip.MustParseAddr("10.0.1.7"), 6379, fs(), now)); got != "CVE-2023-51385,CVE-2024-6387" {
		t.Errorf("10.0.1.7:6379 kept %s", got)
	}
	// Expired: the last day has passed; the finding comes back, saying so.
	later := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	got := s.Apply(netip.MustParseAddr("10.0.0.7"), 22, fs(), later)
	if ids(got) != "CVE-2023-51385,redis-no-auth,CVE-2024-6387" || !strings.Contains(got[0].Evidence, "suppression expired on 2026-12-31") {
		t.Errorf("after expiry: %+v", got)
	}
	v6 := s.Apply(netip.MustParseAddr("2001:db8::1"), 22, fs(), now)
	if ids(v6) != "CVE-2023-51385,redis-no-auth,CVE-2024-6387" || !strings.Contains(v6[2].Evidence, "expired on 2026-11-30") {
		t.Errorf("[2001:db8::1]:22: %+v", v6)
	}
	if s.Hidden() != 2 {
		t.Errorf("Hidden() = %d", s.Hidden())
	}
	for _, bad := range []string{"CVE-1 * never", "* * never all", "CVE-1 10.0.0.0/33 never r", "CVE-1 * 2026-13-01 r", "CVE-1 1.2.3.4:0 never r"} {
		if _, err := ReadSuppressions(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestPortJudge(t *testing.T) {
	dir := buildDB(t, writeFixtures(t, t.TempDir())...)
	m := openMatcher(t, dir)
	sup, err := ReadSuppressions(strings.NewReader("CVE-2099-0005 127.0.0.1:22 never fixed by configuration\n"))
	if err != nil {
		t.Fatal(err)
	}
	j := &PortJudge{Matcher: m, Suppressions: sup}
	r := record.PortResult{Host: netip.MustParseAddr("127.0.0.1"), Port: 22, State: record.Open,
		Service: sshService("9.2p1", "Debian-2+deb12u3"), Findings: []record.Finding{{ID: "ssh-weak-kex"}}}
	if err := j.Judge(context.Background(), &r); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range r.Findings {
		got = append(got, f.ID)
	}
	if strings.Join(got, ",") != "ssh-weak-kex,CVE-2023-51385" {
		t.Errorf("findings %v", got)
	}
}

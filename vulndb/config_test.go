package vulndb

import "testing"

func mustCPE(t *testing.T, s string) CPE {
	t.Helper()
	c, err := ParseCPE(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestParseCPE(t *testing.T) {
	c := mustCPE(t, `cpe:2.3:a:nodejs:node\:js:1.0:*:*:*:*:*:*:*`)
	if c.Product != `node\:js` || c.Version != "1.0" || c.Other != "*" {
		t.Fatalf("got %+v", c)
	}
	if c.String() != `cpe:2.3:a:nodejs:node\:js:1.0:*:*:*:*:*:*:*` {
		t.Fatalf("String() = %s", c)
	}
	u := mustCPE(t, "cpe:/a:OpenBSD:OpenSSH:9.2p1")
	if u.Vendor != "openbsd" || u.Product != "openssh" || u.Version != "9.2p1" || u.Update != Any {
		t.Fatalf("URI got %+v", u)
	}
	if v := mustCPE(t, "cpe:2.3:a:openbsd:openssh:8.9:p1:*:*:*:*:*:*").FullVersion(); v != "8.9p1" {
		t.Fatalf("FullVersion = %q", v)
	}
	for _, bad := range []string{"", "cpe:2.3:a:b", "cpe:2.3:x:a:b:*:*:*:*:*:*:*:*", "cpe:2.3:a::b:*:*:*:*:*:*:*:*", "foo"} {
		if _, err := ParseCPE(bad); err == nil {
			t.Errorf("ParseCPE(%q) gave no error", bad)
		}
	}
	if _, err := mustCPE(t, "cpe:2.3:a:*:openssh:*:*:*:*:*:*:*:*").Key(); err == nil {
		t.Error("a wildcard vendor has a key")
	}
}

const (
	sshCrit   = "cpe:2.3:a:openbsd:openssh:*:*:*:*:*:*:*:*"
	linuxCrit = "cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*"
)

func subj(t *testing.T, cpes ...string) Subject {
	var s Subject
	for _, c := range cpes {
		s = append(s, mustCPE(t, c))
	}
	return s
}

func TestConfigEvaluate(t *testing.T) {
	ssh92 := "cpe:2.3:a:openbsd:openssh:9.2p1:*:*:*:*:*:*:*"
	ssh89 := "cpe:2.3:a:openbsd:openssh:8.9p1:*:*:*:*:*:*:*"
	linux := "cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*"
	cases := []struct {
		name string
		cfg  Config
		subj []string
		want bool
	}{
		{"range below 9.3p2", Config{Nodes: []Node{{Matches: []CPEMatch{{Vulnerable: true, Criteria: sshCrit, EndExcl: "9.3p2"}}}}},
			[]string{ssh92}, true},
		{"range ends at 9.2p1 excluded", Config{Nodes: []Node{{Matches: []CPEMatch{{Vulnerable: true, Criteria: sshCrit, EndExcl: "9.2p1"}}}}},
			[]string{ssh92}, false},
		{"range starts after", Config{Nodes: []Node{{Matches: []CPEMatch{{Vulnerable: true, Criteria: sshCrit, StartIncl: "9.3", EndIncl: "9.7"}}}}},
			[]string{ssh92}, false},
		{"p release in the update attribute", Config{Nodes: []Node{{Matches: []CPEMatch{{Vulnerable: true, Criteria: "cpe:2.3:a:openbsd:openssh:8.9:p1:*:*:*:*:*:*"}}}}},
			[]string{ssh89}, true},
		{"other p release in the update attribute", Config{Nodes: []Node{{Matches: []CPEMatch{{Vulnerable: true, Criteria: "cpe:2.3:a:openbsd:openssh:8.9:p2:*:*:*:*:*:*"}}}}},
			[]string{ssh89}, false},
		{"7.2p10 is not below 7.2p2", Config{Nodes: []Node{{Matches: []CPEMatch{{Vulnerable: true, Criteria: sshCrit, EndExcl: "7.2p2"}}}}},
			[]string{"cpe:2.3:a:openbsd:openssh:7.2p10:*:*:*:*:*:*:*"}, false},
		{"AND: one branch alone", Config{Operator: "AND", Nodes: []Node{
			{Matches: []CPEMatch{{Vulnerable: true, Criteria: sshCrit, EndExcl: "9.8"}}},
			{Matches: []CPEMatch{{Criteria: "cpe:2.3:a:pam_project:pam:*:*:*:*:*:*:*:*"}}}}},
			[]string{ssh92, linux}, false},
		{"AND: both branches", Config{Operator: "AND", Nodes: []Node{
			{Matches: []CPEMatch{{Vulnerable: true, Criteria: sshCrit, EndExcl: "9.8"}}},
			{Matches: []CPEMatch{{Criteria: linuxCrit}}}}},
			[]string{ssh92, linux}, true},
		{"AND: platform of a stated version unknown", Config{Operator: "AND", Nodes: []Node{
			{Matches: []CPEMatch{{Vulnerable: true, Criteria: sshCrit, EndExcl: "9.8"}}},
			{Matches: []CPEMatch{{Criteria: "cpe:2.3:o:linux:linux_kernel:6.1:*:*:*:*:*:*:*"}}}}},
			[]string{ssh92, linux}, false},
		{"platform-only configuration", Config{Nodes: []Node{{Matches: []CPEMatch{{Criteria: sshCrit}}}}},
			[]string{ssh92}, false},
		{"vulnerable OS of unknown version", Config{Nodes: []Node{{Matches: []CPEMatch{{Vulnerable: true, Criteria: linuxCrit}}}}},
			[]string{ssh92, linux}, false},
		{"wildcard vendor", Config{Nodes: []Node{{Matches: []CPEMatch{{Vulnerable: true, Criteria: "cpe:2.3:a:*:openssh:*:*:*:*:*:*:*:*"}}}}},
			[]string{ssh92}, false},
		{"negated node", Config{Operator: "AND", Nodes: []Node{
			{Matches: []CPEMatch{{Vulnerable: true, Criteria: sshCrit, EndExcl: "9.8"}}},
			{Negate: true, Matches: []CPEMatch{{Criteria: "cpe:2.3:o:microsoft:windows:*:*:*:*:*:*:*:*"}}}}},
			[]string{ssh92, linux}, true},
		{"negated node that matches", Config{Operator: "AND", Nodes: []Node{
			{Matches: []CPEMatch{{Vulnerable: true, Criteria: sshCrit, EndExcl: "9.8"}}},
			{Negate: true, Matches: []CPEMatch{{Criteria: linuxCrit}}}}},
			[]string{ssh92, linux}, false},
		{"AND node inside", Config{Nodes: []Node{{Operator: "AND", Matches: []CPEMatch{
			{Vulnerable: true, Criteria: sshCrit, EndExcl: "9.8"}, {Criteria: "cpe:2.3:a:gnu:glibc:*:*:*:*:*:*:*:*"}}}}},
			[]string{ssh92}, false},
		{"empty configuration", Config{}, []string{ssh92}, false},
	}
	for _, c := range cases {
		hit, got := c.cfg.Evaluate(subj(t, c.subj...))
		if got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
		if got && (!hit.Match.Vulnerable || hit.CPE.Product != "openssh") {
			t.Errorf("%s: hit %+v", c.name, hit)
		}
	}
}

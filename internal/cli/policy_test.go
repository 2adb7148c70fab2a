package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writePolicy(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPolicyCommandsBadInput: bad input ends with one line and exit 2; a
// bad policy to lint is the lint's finding: exit 1 naming the line.
func TestPolicyCommandsBadInput(t *testing.T) {
	good := writePolicy(t, "version: 1\nhosts:\n  - match: 10.0.0.5\n    allow:\n      - port: tcp/22\n")
	bad := writePolicy(t, "version: 1\nhosts:\n  - match: 10.0.0.5\n    allow:\n      - port: tcp/22\n        exposed: all\n")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"check"}, 2, "give the policy: --policy FILE"},
		{[]string{"check", "--policy", bad, "--local"}, 2, `policy.yaml:6:9: unknown field "exposed"`},
		{[]string{"check", "--policy", good, "--local", "10.0.0.5"}, 2, "give --local or targets, not both"},
		{[]string{"check", "--policy", good, "--netns", "x"}, 2, "--netns reads a namespace's sockets: add --local"},
		{[]string{"check", "--policy", good, "-o", "xml", "--local"}, 2, `unknown output format "xml"`},
		{[]string{"check", "--policy", good, "--local", "--save", "junit"}, 2, "bad --save"},
		{[]string{"policy", "lint", bad}, 1, `policy.yaml:6:9: unknown field "exposed"`},
		{[]string{"policy", "lint", filepath.Join(t.TempDir(), "none.yaml")}, 1, "cannot read policy"},
		{[]string{"policy", "init", "--results", "x", "10.0.0.1"}, 2, "give one source"},
		{[]string{"firewall", "--policy", good, "--format", "windows"}, 2, `unknown firewall format "windows"`},
		{[]string{"firewall", "--policy", good, "--format", "ufw", "--apply"}, 2, "--apply installs nftables rules only"},
		{[]string{"firewall", "--policy", good, "--confirm-within", "10s"}, 2, "go with --apply"},
		{[]string{"firewall", "--policy", good}, 2, "no host entry of the policy matches"},
		{[]string{"firewall", "--policy", good, "--host", "10.0.0.6"}, 2, "no host entry of the policy matches the host (10.0.0.6)"},
	} {
		_, stderr, code := runAjar(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 && c.code == 2 {
			t.Errorf("ajar %v: exit %d, %q; want %d, %q", c.args, code, stderr, c.code, c.want)
		}
	}
}

func TestFirewallPrint(t *testing.T) {
	p := writePolicy(t, "version: 1\nhosts:\n  - match: 10.0.0.5\n    allow:\n      - port: tcp/22\n        sources: [192.0.2.0/24]\n")
	out, stderr, code := runAjar(t, "firewall", "--policy", p, "--host", "10.0.0.5", "--format", "iptables")
	if code != 0 || !strings.Contains(out, "-A INPUT -s 192.0.2.0/24 -p tcp -m tcp --dport 22") {
		t.Errorf("exit %d %s\n%s", code, stderr, out)
	}
	out, _, code = runAjar(t, "policy", "schema")
	if code != 0 || !strings.Contains(out, `"$schema"`) {
		t.Errorf("schema: %d %s", code, out)
	}
}

// TestPolicyInitResults: policy init reads ajar's JSON Lines and JSON
// output and nmap's XML, and what it writes passes lint and a check of the same ports.
func TestPolicyInitResults(t *testing.T) {
	lines := `{"host":"192.0.2.7","hostname":"db1","port":22,"proto":"tcp","state":"open","reason":"syn-ack","rtt_ms":0.2,"service":{"name":"ssh","product":"OpenSSH","confidence":10,"method":"probe"}}
{"host":"192.0.2.7","hostname":"db1","status":"up","reason":"user-set","rtt_ms":null,"mac":null}
{"host":"192.0.2.8","hostname":null,"port":53,"proto":"udp","state":"open","reason":"udp-response","rtt_ms":1,"service":null}
`
	// The same scan as nmap -oX writes it.
	xml := `<?xml version="1.0" encoding="UTF-8"?>
<nmaprun scanner="nmap" args="nmap -sSU -sV 192.0.2.7-8" start="1700000000" version="7.94">
<host><status state="up" reason="user-set"/><address addr="192.0.2.7" addrtype="ipv4"/>
<hostnames><hostname name="db1" type="user"/></hostnames>
<ports><port protocol="tcp" portid="22"><state state="open" reason="syn-ack"/><service name="ssh" product="OpenSSH" method="probed" conf="10"/></port></ports></host>
<host><status state="up" reason="user-set"/><address addr="192.0.2.8" addrtype="ipv4"/>
<ports><port protocol="udp" portid="53"><state state="open" reason="udp-response"/></port></ports></host>
</nmaprun>
`
	dir := t.TempDir()
	for name, text := range map[string]string{"scan.jsonl": lines, "scan.json": "[\n  " + strings.Join(strings.Split(strings.TrimSpace(lines), "\n"), ",\n  ") + "\n]\n", "scan.xml": xml} {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(text), 0o644)
		out := filepath.Join(dir, name+".policy.yaml")
		if _, stderr, code := runAjar(t, "policy", "init", "--results", path, "-o", out); code != 0 {
			t.Fatalf("%s: exit %d %s", name, code, stderr)
		}
		b, _ := os.ReadFile(out)
		for _, frag := range []string{"match: [192.0.2.7]  # db1", "- port: tcp/22", "service: ssh", "match: [192.0.2.8]", "- port: udp/53"} {
			if !strings.Contains(string(b), frag) {
				t.Errorf("%s: init lacks %q:\n%s", name, frag, b)
			}
		}
		if stdout, stderr, code := runAjar(t, "policy", "lint", out); code != 0 || !strings.Contains(stdout, "2 host entries") {
			t.Errorf("lint: %d %s %s", code, stdout, stderr)
		}
		if _, stderr, code := runAjar(t, "policy", "init", "--results", path, "-o", out); code != 2 || !strings.Contains(stderr, "exists") {
			t.Errorf("init over an existing file: %d %s", code, stderr)
		}
	}
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte("{\"host\":\"192.0.2.7\",\"port\":22,\"proto\":\"sctp\",\"state\":\"open\"}\n"), 0o644)
	if _, stderr, code := runAjar(t, "policy", "init", "--results", bad); code != 2 || !strings.Contains(stderr, "sctp") {
		t.Errorf("bad results: %d %s", code, stderr)
	}
}

package policy

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ajarsec/ajar/record"
)

const minimal = `version: 1
hosts:
  - match: 10.0.0.5            # an address, CIDR, hostname or group name
    allow:
      - port: tcp/22
      - port: tcp/80
      - port: tcp/5432
        exposure: loopback     # may listen, but on loopback only
`

func mustParse(t *testing.T, src string) *Policy {
	t.Helper()
	p, err := Parse("p.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMinimal(t *testing.T) {
	p := mustParse(t, minimal)
	if len(p.Hosts) != 1 || len(p.Hosts[0].Allow) != 3 {
		t.Fatalf("got %+v", p)
	}
	h := p.Hosts[0]
	if h.Pos.Line != 3 || h.Match[0].Prefix != netip.MustParsePrefix("10.0.0.5/32") {
		t.Errorf("host: %+v", h)
	}
	a := h.Allow[2]
	if a.Pos.String() != "p.yaml:7" || a.Proto != record.TCP || !a.Ports.Contains(5432) || a.Exposure.Kind != ExposureLoopback {
		t.Errorf("allow: %+v", a)
	}
	if got := p.Spec().TCP.String(); got != "22,80,5432" {
		t.Errorf("Spec %s", got)
	}
}

func TestFull(t *testing.T) {
	p := mustParse(t, `version: 1
findings: high
loopback: check
groups:
  web: [10.0.0.5, 10.0.1.0/24, web1.example.com]
hosts:
  - match: [web, "2001:db8::/32"]
    findings: medium
    allow:
      - port: ssh
        sources: [192.0.2.0/24, 2001:db8:1::/48]
        process: sshd
        user: root
        required: true
      - port: udp/53
        service: domain
      - port: tcp/8000-8100,https
        exposure: interface eth0
        product: nginx
  - match: "*"
    allow:
      - port: tcp/22
`)
	if p.Findings != record.High || !p.CheckLoopback || len(p.Groups["web"]) != 3 {
		t.Fatalf("%+v", p)
	}
	a := p.Hosts[0].Allow
	if a[0].Proto != record.TCP || !a[0].Ports.Contains(22) || len(a[0].Sources) != 2 || !a[0].Required {
		t.Errorf("ssh: %+v", a[0])
	}
	if a[1].Proto != record.UDP || !a[1].Ports.Contains(53) {
		t.Errorf("dns: %+v", a[1])
	}
	if !a[2].Ports.Contains(8050) || !a[2].Ports.Contains(443) || a[2].Exposure.Interface != "eth0" {
		t.Errorf("web: %+v", a[2])
	}
	for _, c := range []struct {
		s    Subject
		want int
	}{
		{Subject{Addrs: []netip.Addr{netip.MustParseAddr("10.0.1.7")}}, 2},
		{Subject{Names: []string{"WEB1.example.com."}}, 2},
		{Subject{Addrs: []netip.Addr{netip.MustParseAddr("2001:db8::1")}}, 2},
		{Subject{Addrs: []netip.Addr{netip.MustParseAddr("10.9.9.9")}}, 1},
	} {
		if got := len(p.Entries(c.s)); got != c.want {
			t.Errorf("Entries(%v) = %d, want %d", c.s, got, c.want)
		}
	}
	if got := strings.Join(p.Targets(), " "); got != "10.0.0.5 10.0.1.0/24 web1.example.com 2001:db8::/32" {
		t.Errorf("Targets %q", got)
	}
}

func TestBadFiles(t *testing.T) {
	for _, c := range []struct{ name, src, want string }{
		{"unknown top key", "version: 1\nhost: []\n", `p.yaml:2:1: unknown field "host"`},
		{"unknown allow key", "version: 1\nhosts:\n  - match: 10.0.0.1\n    allow:\n      - port: tcp/22\n        exposed: all\n", `p.yaml:6:9: unknown field "exposed"`},
		{"bad cidr", "version: 1\nhosts:\n  - match: 10.0.0.0/33\n    allow: []\n", `p.yaml:3: match: bad CIDR "10.0.0.0/33"`},
		{"host bits", "version: 1\nhosts:\n  - match: 10.0.0.1/24\n", `did you mean 10.0.0.0/24`},
		{"bad source", "version: 1\nhosts:\n  - match: a\n    allow:\n      - port: tcp/22\n        sources: [300.1.1.1]\n", `p.yaml:5: sources: bad address "300.1.1.1"`},
		{"no proto", "version: 1\nhosts:\n  - match: a\n    allow:\n      - port: 22\n", `give the protocol, as tcp/22`},
		{"bad port", "version: 1\nhosts:\n  - match: a\n    allow:\n      - port: tcp/70000\n", `p.yaml:5: port "tcp/70000"`},
		{"bad exposure", "version: 1\nhosts:\n  - match: a\n    allow:\n      - port: tcp/22\n        exposure: public\n", `want loopback, interface NAME or all`},
		{"wrong type", "version: 1\nhosts:\n  - match: a\n    allow:\n      - port: tcp/22\n        required: maybe\n", `p.yaml:6:19: "maybe" is not true or false`},
		{"version", "version: 2\n", `p.yaml:1: version: 2 is not a policy version`},
		{"no version", "hosts: []\n", `version: 0 is not`},
		{"dup key", "version: 1\nversion: 1\n", `p.yaml:2:1:`},
		{"alias", "version: 1\ngroups:\n  a: &x [10.0.0.1]\n  b: *x\n", `p.yaml:3:6: anchors (&name) are not allowed`},
		{"contradiction", "version: 1\nhosts:\n  - match: 10.0.0.0/24\n    allow:\n      - port: tcp/5432\n        exposure: loopback\n  - match: 10.0.0.5\n    allow:\n      - port: tcp/5000-6000\n        exposure: all\n",
			`p.yaml:9: tcp/5000-6000 contradicts the entry at p.yaml:5 for the same hosts and ports: exposure loopback there, all here`},
		{"empty", "", `empty policy`},
		{"two docs", "version: 1\n---\nversion: 1\n", `one YAML document`},
		{"no match", "version: 1\nhosts:\n  - allow: []\n", `p.yaml:3: a host entry needs match:`},
		{"bad match", "version: 1\nhosts:\n  - match: \"no spaces allowed\"\n", `is not an address, CIDR, hostname or group name`},
		{"include", "version: 1\ninclude: [x.yaml]\n", `p.yaml:2: cannot read policy`},
		{"deep", "version: 1\nx: " + strings.Repeat("[", 100), `brackets nest too deep`},
		{"loopback sources", "version: 1\nhosts:\n  - match: a\n    allow:\n      - port: tcp/1\n        exposure: loopback\n        sources: [10.0.0.0/8]\n", `contradict each other`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("p.yaml", []byte(c.src))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
			if strings.Contains(err.Error(), "Go struct") || strings.Contains(err.Error(), "\n") {
				t.Errorf("error not for people: %q", err)
			}
		})
	}
}

func TestTooLarge(t *testing.T) {
	src := "version: 1\nhosts:\n" + strings.Repeat("  - match: 10.0.0.1\n    allow: [{port: tcp/22}]\n", 10<<20/40)
	_, err := Parse("big.yaml", []byte(src))
	var pe *Error
	if !errors.As(err, &pe) || pe.Line < 1000 || !strings.Contains(err.Error(), fmt.Sprintf("over %d bytes", MaxSize)) {
		t.Fatalf("got %v", err)
	}
}

func TestBillionLaughs(t *testing.T) {
	src := "version: 1\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
	_, err := Parse("bomb.yaml", []byte(src))
	if err == nil || !strings.Contains(err.Error(), "bomb.yaml:2:") {
		t.Fatalf("got %v", err)
	}
}

func TestInclude(t *testing.T) {
	files := map[string]string{
		"dir/main.yaml":   "version: 1\ninclude: [common.yaml]\nhosts:\n  - match: db\n    allow:\n      - port: tcp/5432\n",
		"dir/common.yaml": "version: 1\ngroups:\n  db: [10.0.0.9]\nhosts:\n  - match: \"*\"\n    allow:\n      - port: tcp/22\n",
		"dir/loop.yaml":   "version: 1\ninclude: [loop.yaml]\n",
	}
	read := func(p string) ([]byte, error) {
		s, ok := files[p]
		if !ok {
			return nil, errors.New("no such file")
		}
		return []byte(s), nil
	}
	p, err := LoadFS("dir/main.yaml", read)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Hosts) != 2 || p.Hosts[0].Pos.String() != "dir/common.yaml:5" || p.Hosts[1].Pos.String() != "dir/main.yaml:4" {
		t.Fatalf("hosts %+v", p.Hosts)
	}
	if _, err := LoadFS("dir/loop.yaml", read); err == nil || !strings.Contains(err.Error(), "dir/loop.yaml:2: dir/loop.yaml is included twice") {
		t.Errorf("loop: %v", err)
	}
}

// TestManyEntries: a file of many small entries is refused with the line
// where the limit is crossed, quickly (entries are compared pairwise).
func TestManyEntries(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\nhosts:\n  - match: \"*\"\n    allow:\n")
	for i := range MaxEntries + 1 {
		fmt.Fprintf(&b, "      - {port: tcp/%d}\n", i+1)
	}
	start := time.Now()
	_, err := Parse("many.yaml", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("many.yaml:3: more than %d", MaxEntries)) {
		t.Fatalf("got %v", err)
	}
	t.Logf("refused in %v", time.Since(start))
}

// TestNeeds: a check identifies services only where an entry names a
// service or product, and audits only where a findings threshold is set,
// the policy's or a host's.
func TestNeeds(t *testing.T) {
	for _, c := range []struct {
		name, src          string
		services, findings bool
	}{
		{"ports only", minimal, false, false},
		{"a service", "version: 1\nhosts:\n  - match: 10.0.0.5\n    allow:\n      - port: tcp/53\n        service: domain\n", true, false},
		{"a product", "version: 1\nhosts:\n  - match: 10.0.0.5\n    allow:\n      - port: tcp/80\n        product: nginx\n", true, false},
		{"the policy's threshold", "version: 1\nfindings: high\nhosts:\n  - match: 10.0.0.5\n    allow:\n      - port: tcp/22\n", false, true},
		{"a host's threshold", "version: 1\nhosts:\n  - match: 10.0.0.5\n    findings: medium\n    allow:\n      - port: tcp/22\n", false, true},
	} {
		services, findings := mustParse(t, c.src).Needs()
		if services != c.services || findings != c.findings {
			t.Errorf("%s: Needs() = %v, %v; want %v, %v", c.name, services, findings, c.services, c.findings)
		}
	}
}

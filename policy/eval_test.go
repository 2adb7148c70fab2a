package policy

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

// summary writes violations one a line: "type proto/port host rule".
func summary(vs []record.Violation) string {
	var b strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&b, "%s %s/%d %s %s\n", v.Type, v.Proto, v.Port, v.Host, v.Rule)
	}
	return b.String()
}

func TestEvaluateScan(t *testing.T) {
	p := mustParse(t, `version: 1
findings: high
hosts:
  - match: 10.0.0.5
    allow:
      - port: tcp/22
      - port: tcp/80
        required: true
      - port: tcp/5432
        exposure: loopback
        required: true
      - port: tcp/443
        required: true
        service: http
        product: nginx
`)
	h := netip.MustParseAddr("10.0.0.5")
	other := netip.MustParseAddr("10.0.0.6")
	obs := &Observed{
		Scanned: portspec.MustParseSpec("22,80,443,3306,5432"),
		Hosts:   []record.Host{{Addr: h, State: record.Up}, {Addr: other, State: record.Up}},
		Ports: []record.PortResult{
			{Host: h, Port: 22, Proto: record.TCP, State: record.Open},
			{Host: h, Port: 80, Proto: record.TCP, State: record.Closed},
			{Host: h, Port: 443, Proto: record.TCP, State: record.Open, Service: &record.Service{Name: "http", Product: "Apache httpd", Method: "probe"}},
			{Host: h, Port: 3306, Proto: record.TCP, State: record.Open, Service: &record.Service{Name: "mysql", Method: "port-table"}},
			{Host: h, Port: 5432, Proto: record.TCP, State: record.Open, Findings: []record.Finding{
				{ID: "pg-trust", Severity: record.Critical, Title: "trust", Remediation: "use scram"},
				{ID: "pg-low", Severity: record.Low}}},
			{Host: other, Port: 22, Proto: record.TCP, State: record.Open},
		},
	}
	res := Evaluate(p, obs)
	want := `wrong-service tcp/443 10.0.0.5 p.yaml:12
unexpected-open tcp/3306 10.0.0.5 p.yaml:4
wrong-exposure tcp/5432 10.0.0.5 p.yaml:9
finding tcp/5432 10.0.0.5 p.yaml:2
required-missing tcp/80 10.0.0.5 p.yaml:7
`
	if got := summary(res.Violations); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if len(res.Unmatched) != 1 || res.Unmatched[0] != other {
		t.Errorf("Unmatched %v", res.Unmatched)
	}
	for _, v := range res.Violations {
		if v.Remediation == "" || v.Observed == "" || v.Expected == "" {
			t.Errorf("incomplete %+v", v)
		}
	}
	if r := res.Violations[1].Remediation; !strings.Contains(r, "bind-address = 127.0.0.1") {
		t.Errorf("mysql remediation %q", r)
	}
}

func sock(proto record.Proto, ap string, exp record.Exposure, proc string, pid int) record.Socket {
	s := record.Socket{Proto: proto, Local: netip.MustParseAddrPort(ap), Exposure: exp, Process: proc, PID: pid, User: "root"}
	s.State = record.SocketListen
	if proto == record.UDP {
		s.State = record.SocketUnconn
	}
	return s
}

func TestEvaluateLocal(t *testing.T) {
	p := mustParse(t, `version: 1
hosts:
  - match: [10.0.0.5, "fd00::5"]
    allow:
      - port: tcp/22
        process: sshd
        required: true
      - port: tcp/80
        required: true
      - port: tcp/5432
        exposure: loopback
      - port: udp/53
        exposure: interface eth0
      - port: tcp/8443
        required: true
`)
	local := Subject{Addrs: []netip.Addr{netip.MustParseAddr("10.0.0.5"), netip.MustParseAddr("fd00::5"), netip.MustParseAddr("127.0.0.1")}}
	v6only := sock(record.TCP, "[::]:80", record.ExposureAll, "nginx", 20)
	v6only.V6Only = true
	dual := sock(record.TCP, "[::]:22", record.ExposureAll, "dropbear", 10)
	eth1 := sock(record.UDP, "0.0.0.0:53", record.ExposureInterface, "dnsmasq", 30)
	eth1.Device, eth1.Interfaces = "eth1", []string{"eth1"}
	obs := &Observed{
		Local: local,
		Sockets: []record.Socket{
			dual, v6only, eth1,
			sock(record.TCP, "0.0.0.0:5432", record.ExposureAll, "postgres", 40),
			sock(record.TCP, "127.0.0.1:6379", record.ExposureLoopback, "redis-server", 50),
			sock(record.TCP, "0.0.0.0:3306", record.ExposureAll, "mysqld", 60),
			{Proto: record.TCP, Local: netip.MustParseAddrPort("10.0.0.5:9999"), Peer: netip.MustParseAddrPort("10.0.0.9:40000"), State: record.SocketEstablished},
		},
		NAT:   []NATPort{{Proto: record.TCP, Port: 8080, To: netip.MustParseAddrPort("172.17.0.2:80"), Rule: "nft ip nat DOCKER"}},
		Units: map[int]string{60: "mariadb.service"},
	}
	res := Evaluate(p, obs)
	want := `wrong-process tcp/22 :: p.yaml:5
wrong-exposure udp/53 0.0.0.0 p.yaml:12
wrong-exposure tcp/5432 0.0.0.0 p.yaml:10
unexpected-open tcp/3306 0.0.0.0 p.yaml:3
unexpected-open tcp/8080 0.0.0.0 p.yaml:3
required-missing tcp/80 0.0.0.0 p.yaml:8
required-missing tcp/8443 0.0.0.0 p.yaml:14
required-missing tcp/8443 :: p.yaml:14
`
	if got := summary(res.Violations); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	byPort := map[string]record.Violation{}
	for _, v := range res.Violations {
		byPort[fmt.Sprintf("%s/%d", v.Type, v.Port)] = v
	}
	for key, frag := range map[string]string{
		"unexpected-open/3306":  "systemctl disable --now mariadb.service",
		"wrong-exposure/5432":   "listen_addresses = 'localhost'",
		"required-missing/80":   "listen over IPv4 too",
		"unexpected-open/8080":  "unpublish tcp/8080",
		"wrong-process/22":      "dropbear listens on tcp/22",
		"required-missing/8443": "start the service",
	} {
		if r := byPort[key].Remediation; !strings.Contains(r, frag) {
			t.Errorf("%s: remediation %q lacks %q", key, r, frag)
		}
	}
	if u := byPort["unexpected-open/3306"].Unit; u != "mariadb.service" {
		t.Errorf("unit %q", u)
	}

	// The same policy on a machine it does not name.
	res = Evaluate(p, &Observed{Local: Subject{Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.1")}}, Sockets: obs.Sockets})
	if !res.LocalUnmatched || len(res.Violations) != 0 {
		t.Errorf("unmatched machine: %+v", res)
	}
}

// TestDualStack: a :: socket that takes IPv4 too satisfies a required
// port over both families; a v6-only one only over IPv6.
func TestDualStack(t *testing.T) {
	p := mustParse(t, "version: 1\nhosts:\n  - match: [10.0.0.5, \"fd00::5\"]\n    allow:\n      - port: tcp/80\n        required: true\n")
	local := Subject{Addrs: []netip.Addr{netip.MustParseAddr("10.0.0.5"), netip.MustParseAddr("fd00::5")}}
	s := sock(record.TCP, "[::]:80", record.ExposureAll, "nginx", 1)
	if res := Evaluate(p, &Observed{Local: local, Sockets: []record.Socket{s}}); len(res.Violations) != 0 {
		t.Errorf("dual-stack: %s", summary(res.Violations))
	}
	s.V6Only = true
	res := Evaluate(p, &Observed{Local: local, Sockets: []record.Socket{s}})
	if got := summary(res.Violations); got != "required-missing tcp/80 0.0.0.0 p.yaml:5\n" {
		t.Errorf("v6 only: %s", got)
	}
	s4 := sock(record.TCP, "0.0.0.0:80", record.ExposureAll, "nginx", 1)
	if res := Evaluate(p, &Observed{Local: local, Sockets: []record.Socket{s, s4}}); len(res.Violations) != 0 {
		t.Errorf("v6 only + 0.0.0.0: %s", summary(res.Violations))
	}
}

func TestInitLocalRoundTrip(t *testing.T) {
	local := Subject{Addrs: []netip.Addr{netip.MustParseAddr("10.0.0.5"), netip.MustParseAddr("127.0.0.1")}, Names: []string{"web1"}}
	socks := []record.Socket{
		sock(record.TCP, "0.0.0.0:22", record.ExposureAll, "sshd", 1),
		sock(record.TCP, "[::]:22", record.ExposureAll, "sshd", 1),
		sock(record.TCP, "127.0.0.1:5432", record.ExposureLoopback, "postgres", 2),
		sock(record.UDP, "0.0.0.0:68", record.ExposureAll, "dhclient", 3),
		sock(record.TCP, "0.0.0.0:8080", record.ExposureAll, "weird: \"name\"", 4),
	}
	text := InitLocal(InitFrom{What: "this machine's sockets", Date: "2026-12-04"}, local, socks)
	p, err := Parse("init.yaml", []byte(text))
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	if res := Evaluate(p, &Observed{Local: local, Sockets: socks}); len(res.Violations) != 0 {
		t.Errorf("init's policy is not met by what it came from:\n%s\n%s", summary(res.Violations), text)
	}
	for _, frag := range []string{"match: [10.0.0.5]", "exposure: loopback", "process: sshd", "- port: udp/68"} {
		if !strings.Contains(text, frag) {
			t.Errorf("init lacks %q:\n%s", frag, text)
		}
	}
	// And it catches drift: the database now on every address.
	socks[2] = sock(record.TCP, "0.0.0.0:5432", record.ExposureAll, "postgres", 2)
	if got := summary(Evaluate(p, &Observed{Local: local, Sockets: socks}).Violations); got != "wrong-exposure tcp/5432 0.0.0.0 init.yaml:20\n" {
		t.Errorf("drift: %s\n%s", got, text)
	}
}

func TestInitScanRoundTrip(t *testing.T) {
	h := netip.MustParseAddr("192.0.2.7")
	rs := []record.PortResult{
		{Host: h, Hostname: "db1", Port: 22, Proto: record.TCP, State: record.Open, Service: &record.Service{Name: "ssh", Method: "probe", Product: "OpenSSH"}},
		{Host: h, Port: 161, Proto: record.UDP, State: record.Open, Service: &record.Service{Name: "snmp", Method: "port-table"}},
		{Host: h, Port: 23, Proto: record.TCP, State: record.Closed},
	}
	text := InitScan(InitFrom{What: "scan.jsonl"}, rs)
	p, err := Parse("init.yaml", []byte(text))
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	res := Evaluate(p, &Observed{Ports: rs, Scanned: portspec.MustParseSpec("T:22,23,U:161", record.TCP, record.UDP)})
	if len(res.Violations) != 0 || !strings.Contains(text, "service: ssh") {
		t.Errorf("%s\n%s", summary(res.Violations), text)
	}
	if _, err := Parse("empty.yaml", []byte(InitScan(InitFrom{What: "nothing"}, nil))); err != nil {
		t.Errorf("empty init: %v", err)
	}
}

func TestParseCgroupUnit(t *testing.T) {
	for in, want := range map[string]string{
		"0::/system.slice/nginx.service\n":                                     "nginx.service",
		"0::/system.slice/docker-abc.scope\n":                                  "",
		"1:name=systemd:/system.slice/ssh.service\n0::/\n":                     "ssh.service",
		"0::/user.slice/user-1000.slice/user@1000.service/app.slice/x.service": "x.service",
		"garbage": "",
	} {
		if got := ParseCgroupUnit(in); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

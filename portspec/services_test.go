package portspec

import (
	"slices"
	"strings"
	"testing"
)

func TestLookupService(t *testing.T) {
	tests := []struct {
		name  string
		proto Proto
		want  []uint16 // nil: not found
	}{
		{"ssh", TCP, []uint16{22}},
		{"SSH", TCP, []uint16{22}},
		{" ssh ", TCP, []uint16{22}},
		{"telnet", TCP, []uint16{23}},
		{"smtp", TCP, []uint16{25}},
		{"domain", UDP, []uint16{53}},
		{"dns", TCP, []uint16{53}},
		{"http", TCP, []uint16{80}},
		{"www", TCP, []uint16{80}},
		{"https", TCP, []uint16{443}},
		{"https", UDP, []uint16{443}},
		{"quic", UDP, []uint16{443}},
		{"pop3", TCP, []uint16{110}},
		{"imap", TCP, []uint16{143}},
		{"ftp", TCP, []uint16{21}},
		{"ftps", TCP, []uint16{990}},
		{"mysql", TCP, []uint16{3306}},
		{"postgresql", TCP, []uint16{5432}},
		{"postgres", TCP, []uint16{5432}},
		{"redis", TCP, []uint16{6379}},
		{"mongodb", TCP, []uint16{27017}},
		{"rdp", TCP, []uint16{3389}},
		{"ms-wbt-server", TCP, []uint16{3389}},
		{"vnc", TCP, []uint16{5900, 5901, 5902, 5903}},
		{"snmp", UDP, []uint16{161}},
		{"ntp", UDP, []uint16{123}},
		{"ldap", TCP, []uint16{389}},
		{"ldaps", TCP, []uint16{636}},
		{"smb", TCP, []uint16{445}},
		{"microsoft-ds", TCP, []uint16{445}},
		{"netbios-ns", UDP, []uint16{137}},
		{"netbios-ssn", TCP, []uint16{139}},
		{"sip", UDP, []uint16{5060}},
		{"sips", TCP, []uint16{5061}},
		{"rtsp", TCP, []uint16{554}},
		{"mqtt", TCP, []uint16{1883}},
		{"amqp", TCP, []uint16{5672}},
		{"kafka", TCP, []uint16{9092}},
		{"memcached", TCP, []uint16{11211}},
		{"memcached", UDP, []uint16{11211}},
		{"elasticsearch", TCP, []uint16{9200}},
		{"http-alt", TCP, []uint16{591, 8000, 8008, 8080}},
		{"submission", TCP, []uint16{587}},
		{"smtps", TCP, []uint16{465}},
		{"syslog", UDP, []uint16{514}},
		{"shell", TCP, []uint16{514}},
		{"ipmi", UDP, []uint16{623}},
		{"x11", TCP, seq(6000, 6063)},
		{"sshh", TCP, nil},
		{"", TCP, nil},
		{"ssh", Proto(0), nil},
		{"kafka", UDP, nil},
		{"syslog", TCP, nil},
	}
	for _, tt := range tests {
		got, ok := LookupService(tt.name, tt.proto)
		if ok != (tt.want != nil) || !slices.Equal(got, tt.want) {
			t.Errorf("LookupService(%q, %s) = %v, %v; want %v", tt.name, tt.proto, got, ok, tt.want)
		}
	}
}

// seq gives the ports lo..hi.
func seq(lo, hi uint16) []uint16 {
	var ps []uint16
	for p := lo; p <= hi; p++ {
		ps = append(ps, p)
	}
	return ps
}

func TestLookupServiceCopies(t *testing.T) {
	got, _ := LookupService("ssh", TCP)
	got[0] = 1
	if again, _ := LookupService("ssh", TCP); again[0] != 22 {
		t.Fatal("LookupService handed out the table's own slice")
	}
}

func TestServiceName(t *testing.T) {
	tests := []struct {
		port  uint16
		proto Proto
		want  string
	}{
		{22, TCP, "ssh"},
		{53, UDP, "domain"},
		{80, TCP, "http"},
		{443, TCP, "https"},
		{445, TCP, "microsoft-ds"},
		{3389, TCP, "ms-wbt-server"},
		{514, TCP, "shell"},
		{514, UDP, "syslog"},
		{512, UDP, "comsat"},
		{465, TCP, "submissions"},
		{465, UDP, "igmpv3lite"},
		{623, UDP, "asf-rmcp"},
		{1521, TCP, "oracle"},    // common line listed before IANA's
		{8443, TCP, "https-alt"}, // ditto
		{9200, TCP, "elasticsearch"},
		{9200, UDP, "wap-wsp"}, // no common UDP line
		{6010, TCP, "x11"},     // inside a table range
		{5903, TCP, "rfb"},
		{9092, UDP, ""},
		{0, TCP, ""},
		{22, Proto(0), ""},
		{65000, TCP, ""},
	}
	for _, tt := range tests {
		if got := ServiceName(tt.port, tt.proto); got != tt.want {
			t.Errorf("ServiceName(%d, %s) = %q, want %q", tt.port, tt.proto, got, tt.want)
		}
	}
}

// TestEveryServiceResolves walks the whole table: every name and alias
// finds its ports, and every port has a guessed name.
func TestEveryServiceResolves(t *testing.T) {
	tab := serviceTable()
	if len(tab.list) < 400 {
		t.Errorf("table has %d lines, want at least 400", len(tab.list))
	}
	for _, s := range tab.list {
		for _, proto := range s.protos {
			for _, name := range s.names() {
				got, ok := LookupService(name, proto)
				if !ok {
					t.Errorf("%v: LookupService(%q, %s) finds nothing", s, name, proto)
					continue
				}
				for p := int(s.ports.Lo); p <= int(s.ports.Hi); p++ {
					if !slices.Contains(got, uint16(p)) {
						t.Errorf("%v: LookupService(%q, %s) = %v, lacks %d", s, name, proto, got, p)
					}
				}
				if !slices.IsSorted(got) {
					t.Errorf("LookupService(%q, %s) = %v, not ascending", name, proto, got)
				}
				// A name must also work in a port spec.
				prefix := map[Proto]string{TCP: "T:", UDP: "U:"}[proto]
				if _, err := ParseSpec(prefix + name); err != nil {
					t.Errorf("ParseSpec(%q): %v", prefix+name, err)
				}
			}
			for p := int(s.ports.Lo); p <= int(s.ports.Hi); p++ {
				if ServiceName(uint16(p), proto) == "" {
					t.Errorf("%v: ServiceName(%d, %s) is empty", s, p, proto)
				}
			}
		}
	}
}

func TestParseServicesErrors(t *testing.T) {
	tests := []struct{ text, wantErr string }{
		{"ssh 22/tcp", "want: name"},
		{"ssh 22/tcp nmap", "neither iana nor common"},
		{"ssh 22 iana", "no /proto"},
		{"ssh 22/sctp iana", "unknown protocol"},
		{"ssh 22/tcp,tcp iana", "listed twice"},
		{"ssh 0/tcp iana", "port 0"},
		{"ssh 70000/tcp iana", "out of range"},
		{"ssh 30-20/tcp iana", "backwards"},
		{"SSH 22/tcp iana", "bad character"},
		{"22 22/tcp iana", "with a letter"},
		{"a:b 22/tcp iana", "bad character"},
		{"ssh 22/tcp iana x,y", "bad character"},
		{"ssh 22/tcp iana\nssh 22/tcp iana", "line 2: ssh 22/tcp listed twice"},
		{"ssh 22/tcp iana secure-shell\nfoo 22/tcp iana secure-shell", "line 2: secure-shell 22/tcp listed twice"},
		{"http 80/tcp iana\nssh 22/tcp iana", "line 2: port 22 comes after port 80"},
	}
	for _, tt := range tests {
		_, err := parseServices(tt.text)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("parseServices(%q) error = %v, want it to mention %q", tt.text, err, tt.wantErr)
		}
	}
	tab, err := parseServices("# comment\n\nssh 22/tcp,udp iana # trailing\nx 6000-6001/tcp common y\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := tab.byName[nameKey{"y", TCP}]; !slices.Equal(got, []uint16{6000, 6001}) {
		t.Errorf("alias y = %v, want [6000 6001]", got)
	}
	if got := tab.byPort[portKey{22, UDP}]; got != "ssh" {
		t.Errorf("22/udp = %q, want ssh", got)
	}
}

func BenchmarkServiceName(b *testing.B) {
	serviceTable() // parse the table outside the timed loop
	b.ReportAllocs()
	for b.Loop() {
		if ServiceName(443, TCP) != "https" {
			b.Fatal("wrong name")
		}
	}
}

package portspec

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestParseSpec(t *testing.T) {
	both := []Proto{TCP, UDP}
	tests := []struct {
		in       string
		defaults []Proto
		want     string // canonical form
		wantErr  string // the whole error text
	}{
		{in: "22", want: "T:22"},
		{in: "22,80,1000-2000", want: "T:22,80,1000-2000"},
		{in: " 80 , 22 ", want: "T:22,80"},
		{in: "-", want: "T:1-65535"},
		{in: "-1024", want: "T:1-1024"},
		{in: "60000-", want: "T:60000-65535"},
		{in: "22", defaults: []Proto{UDP}, want: "U:22"},
		{in: "22,53", defaults: both, want: "T:22,53,U:22,53"},
		{in: "ssh,https", want: "T:22,443"},
		{in: "SSH,Https", want: "T:22,443"},
		{in: "smb,rdp,http-alt", want: "T:445,591,3389,8000,8008,8080"},
		{in: "T:22,80,U:53,161", want: "T:22,80,U:53,161"},
		{in: "U:53,161,T:22", want: "T:22,U:53,161"},
		{in: "t:22,u:53", want: "T:22,U:53"},
		{in: "T: 22 , U: 53", want: "T:22,U:53"},
		{in: "U:domain,snmp,T:domain", want: "T:53,U:53,161"},
		{in: "22,U:53", defaults: both, want: "T:22,U:22,53"},
		{in: "T:-,U:-", want: "T:1-65535,U:1-65535"},
		{in: "T:22,T:23", want: "T:22-23"},
		{in: "kafka", defaults: both, want: "T:9092"}, // no UDP kafka: fine over both
		{in: "syslog", defaults: both, want: "U:514"},
		{in: "shell,syslog", defaults: both, want: "T:514,U:514"},
		{in: "U:syslog", want: "U:514"},
		{in: "x11", want: "T:6000-6063"},

		{in: "", wantErr: "empty port list"},
		{in: "  ", wantErr: "empty port list"},
		{in: "sshh", wantErr: `unknown service name "sshh"`},
		{in: "70000", wantErr: "port 70000 is out of range 1-65535"},
		{in: "0", wantErr: "port 0 is not a valid port"},
		{in: "30-20", wantErr: `range "30-20" runs backwards`},
		{in: "22,,80", wantErr: `port spec "22,,80" has an empty item`},
		{in: "22,", wantErr: `port spec "22," has an empty item`},
		{in: "T:", wantErr: `port spec "T:" has an empty item`},
		{in: "S:22", wantErr: `"S:22": unknown protocol prefix "S:" (want T: or U:)`},
		{in: ":22", wantErr: `":22": unknown protocol prefix ":" (want T: or U:)`},
		{in: "T:U:22", wantErr: `"U:22" is not a port number or service name`},
		{in: "ss h", wantErr: `"ss h" is not a port number or service name`},
		{in: "1-2-3", wantErr: `"2-3" is not a port number`},
		{in: "U:kafka", wantErr: `service "kafka" has no udp port, only tcp`},
		{in: "kafka", defaults: []Proto{UDP}, wantErr: `service "kafka" has no udp port, only tcp`},
		{in: "22", defaults: []Proto{Proto(7)}, wantErr: "port spec: unknown protocol proto(7)"},
	}
	for _, tt := range tests {
		got, err := ParseSpec(tt.in, tt.defaults...)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("ParseSpec(%q, %v) = %q, %v; want error %q", tt.in, tt.defaults, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseSpec(%q, %v): %v", tt.in, tt.defaults, err)
			continue
		}
		if got.String() != tt.want {
			t.Errorf("ParseSpec(%q, %v) = %q, want %q", tt.in, tt.defaults, got, tt.want)
		}
		for _, d := range [][]Proto{nil, {UDP}, both} {
			back, err := ParseSpec(got.String(), d...)
			if err != nil || !back.Equal(got) {
				t.Errorf("ParseSpec(%q, %v) = %q, %v; want it back unchanged", got, d, back, err)
			}
		}
	}
	if _, err := ParseSpec(""); !errors.Is(err, ErrEmpty) {
		t.Errorf("ParseSpec(\"\") error %v is not ErrEmpty", err)
	}
}

func TestSpecSets(t *testing.T) {
	s := MustParseSpec("T:1-1024,U:53,161")
	if s.Len() != 1026 || s.IsEmpty() {
		t.Errorf("Len = %d, IsEmpty = %v", s.Len(), s.IsEmpty())
	}
	if !s.Ports(TCP).Equal(s.TCP) || !s.Ports(UDP).Equal(s.UDP) || !s.Ports(Proto(0)).IsEmpty() {
		t.Error("Ports gives the wrong set")
	}
	ex := s.Exclude(MustParseSpec("22,25,U:161"))
	if got := ex.String(); got != "T:1-21,23-24,26-1024,U:53" {
		t.Errorf("Exclude = %q", got)
	}
	if got := s.Exclude(MustParseSpec("53", TCP, UDP)).String(); got != "T:1-52,54-1024,U:161" {
		t.Errorf("Exclude over both = %q", got)
	}
	if got := s.Exclude(s); !got.IsEmpty() || got.String() != "" {
		t.Errorf("s minus s = %q", got)
	}
	if got := MustParseSpec("22").Union(MustParseSpec("U:53,T:23")).String(); got != "T:22-23,U:53" {
		t.Errorf("Union = %q", got)
	}
	var zero Spec
	if !zero.IsEmpty() || zero.Len() != 0 || zero.String() != "" {
		t.Error("zero Spec is not empty")
	}
}

func TestSpecText(t *testing.T) {
	type conf struct {
		Ports Spec `json:"ports"`
	}
	in := conf{MustParseSpec("T:22,80,U:53")}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"ports":"T:22,80,U:53"}` {
		t.Errorf("JSON = %s", b)
	}
	var out conf
	if err := json.Unmarshal(b, &out); err != nil || !out.Ports.Equal(in.Ports) {
		t.Errorf("round trip = %q, %v", out.Ports, err)
	}
	if err := json.Unmarshal([]byte(`{"ports":"22,https"}`), &out); err != nil || out.Ports.String() != "T:22,443" {
		t.Errorf("unprefixed text = %q, %v; want T:22,443", out.Ports, err)
	}
	if err := json.Unmarshal([]byte(`{"ports":""}`), &out); err != nil || !out.Ports.IsEmpty() {
		t.Errorf("empty text = %q, %v", out.Ports, err)
	}
	if err := json.Unmarshal([]byte(`{"ports":"sshh"}`), &out); err == nil {
		t.Error("bad text did not fail")
	}
	var p Proto
	if err := p.UnmarshalText([]byte("udp")); err != nil || p != UDP {
		t.Errorf("Proto udp = %v, %v", p, err)
	}
	if b, err := UDP.MarshalText(); err != nil || string(b) != "udp" {
		t.Errorf("UDP.MarshalText = %q, %v", b, err)
	}
	if err := p.UnmarshalText([]byte("sctp")); err == nil {
		t.Error("sctp did not fail")
	}
	if _, err := Proto(0).MarshalText(); err == nil {
		t.Error("Proto(0).MarshalText did not fail")
	}
}

func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{"22", "T:22,80,U:53,161", "ssh,https", "-", "U:-", "22,U:domain",
		"T:,U:", "S:1", "1-2-3", "x11,http-alt", "t:1-,u:-100", "memcached"} {
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, s string, d uint8) {
		defaults := [][]Proto{nil, {TCP}, {UDP}, {TCP, UDP}}[d%4]
		sp, err := ParseSpec(s, defaults...)
		if err != nil {
			return
		}
		if sp.IsEmpty() {
			t.Fatalf("ParseSpec(%q) gave an empty spec without error", s)
		}
		for _, d := range [][]Proto{nil, {UDP}, {TCP, UDP}} {
			back, err := ParseSpec(sp.String(), d...)
			if err != nil {
				t.Fatalf("canonical form %q of %q does not parse: %v", sp, s, err)
			}
			if !back.Equal(sp) {
				t.Fatalf("round trip of %q: %q != %q", s, back, sp)
			}
		}
		var back Spec
		if err := back.UnmarshalText([]byte(sp.String())); err != nil || !back.Equal(sp) {
			t.Fatalf("text round trip of %q: %q, %v", sp, back, err)
		}
	})
}

func BenchmarkParseSpec(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseSpec("T:22,80,443,1000-2000,ssh,https,U:53,161,snmp"); err != nil {
			b.Fatal(err)
		}
	}
}

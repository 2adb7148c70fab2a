package target

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseSpec(t *testing.T) {
	tests := []struct {
		in   string
		kind Kind
		want string // canonical form
		rng  string // Range().String(), "" for hostnames
		n    uint64 // Range().Len()
	}{
		{"10.0.0.1", KindAddr, "10.0.0.1", "10.0.0.1", 1},
		{"2001:db8::1", KindAddr, "2001:db8::1", "2001:db8::1", 1},
		{"2001:DB8:0:0::1", KindAddr, "2001:db8::1", "2001:db8::1", 1},
		{"::ffff:10.0.0.1", KindAddr, "10.0.0.1", "10.0.0.1", 1},
		{"::", KindAddr, "::", "::", 1},
		{"10.0.0.0/24", KindPrefix, "10.0.0.0/24", "10.0.0.0/24", 256},
		{"10.0.0.77/24", KindPrefix, "10.0.0.0/24", "10.0.0.0/24", 256},
		{"10.0.0.0/8", KindPrefix, "10.0.0.0/8", "10.0.0.0/8", 1 << 24},
		{"0.0.0.0/0", KindPrefix, "0.0.0.0/0", "0.0.0.0/0", 1 << 32},
		{"10.0.0.1/32", KindPrefix, "10.0.0.1/32", "10.0.0.1", 1},
		{"2001:db8::/120", KindPrefix, "2001:db8::/120", "2001:db8::/120", 256},
		{"2001:db8::/64", KindPrefix, "2001:db8::/64", "2001:db8::/64", 1<<64 - 1}, // saturated
		{"::/0", KindPrefix, "::/0", "::/0", 1<<64 - 1},
		{"::ffff:10.0.0.0/120", KindPrefix, "10.0.0.0/24", "10.0.0.0/24", 256},
		{"10.0.0.1-20", KindRange, "10.0.0.1-20", "10.0.0.1-20", 20},
		{"10.0.0.0-255", KindRange, "10.0.0.0-255", "10.0.0.0/24", 256},
		{"10.0.0.5-5", KindRange, "10.0.0.5-5", "10.0.0.5", 1},
		{"10.0.0.1-10.0.0.20", KindRange, "10.0.0.1-20", "10.0.0.1-20", 20},
		{"10.0.0.1-10.0.1.5", KindRange, "10.0.0.1-10.0.1.5", "10.0.0.1-10.0.1.5", 261},
		{"2001:db8::1-2001:db8::ff", KindRange, "2001:db8::1-2001:db8::ff", "2001:db8::1-2001:db8::ff", 255},
		{"::ffff:10.0.0.1-20", KindRange, "10.0.0.1-20", "10.0.0.1-20", 20},
		{"::ffff:10.0.0.1-::ffff:10.0.0.20", KindRange, "10.0.0.1-20", "10.0.0.1-20", 20},
		{"10.0.0.1-::ffff:10.0.1.0", KindRange, "10.0.0.1-10.0.1.0", "10.0.0.1-10.0.1.0", 256},
		{"::/80", KindPrefix, "::/80", "::/80", 1 << 48},
		{"::-::ffff:0.0.0.5", KindRange, "::-::ffff:0.0.0.5", "::-::ffff:0.0.0.5", 1<<32*0xffff + 6},
		{"localhost", KindHost, "localhost", "", 0},
		{"scanme.example.org", KindHost, "scanme.example.org", "", 0},
		{"Scanme.Example.ORG.", KindHost, "Scanme.Example.ORG.", "", 0},
		{"db-1.internal", KindHost, "db-1.internal", "", 0},
		{"10-0-0-1.example", KindHost, "10-0-0-1.example", "", 0},
		{"win_host", KindHost, "win_host", "", 0},
		{"1e100.net", KindHost, "1e100.net", "", 0},
	}
	for _, tt := range tests {
		sp, err := ParseSpec(tt.in)
		if err != nil {
			t.Errorf("ParseSpec(%q): %v", tt.in, err)
			continue
		}
		var rng string
		if sp.Kind() != KindHost {
			rng = sp.Range().String()
		}
		if sp.Kind() != tt.kind || sp.String() != tt.want || rng != tt.rng || sp.Range().Len() != tt.n && tt.kind != KindHost {
			t.Errorf("ParseSpec(%q) = %v %q (range %q, %d addresses), want %v %q (range %q, %d)",
				tt.in, sp.Kind(), sp, rng, sp.Range().Len(), tt.kind, tt.want, tt.rng, tt.n)
		}
		back, err := ParseSpec(sp.String())
		if err != nil || back != sp {
			t.Errorf("ParseSpec(%q) = %#v, %v; want %#v", sp.String(), back, err, sp)
		}
	}
}

func TestParseSpecErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `bad target "": empty target`},
		{"10.0.0.0/33", `bad target "10.0.0.0/33": prefix length 33 is out of range 0-32 for IPv4`},
		{"2001:db8::/129", `prefix length 129 is out of range 0-128 for IPv6`},
		{"10.0.0.0/999999999999999999999", `prefix length 9999… is out of range`},
		{"10.0.0.0/", `prefix length "" is not a number`},
		{"10.0.0.0/x", `prefix length "x" is not a number`},
		{"10.0.0.0/+8", `prefix length "+8" is not a number`},
		{"10.0.0.0/08", `prefix length "08" is not a number`},
		{"10.0.0.0/8/8", `prefix length "8/8" is not a number`},
		{"example.com/24", `a prefix length must follow an IP address, not a hostname`},
		{"10.0.0/24", `"10.0.0" is not an IP address`},
		{"fe80::1%eth0/64", `goes with one link-local address, not a prefix`},
		{"10.0.0.5-1", `bad range "10.0.0.5-1": end before start`},
		{"10.0.1.1-10.0.0.255", `bad range "10.0.1.1-10.0.0.255": end before start`},
		{"10.0.0.1-256", `bad range "10.0.0.1-256": last octet 256 is over 255`},
		{"10.0.0.1-", `bad range "10.0.0.1-": missing end`},
		{"10.0.0.1-x", `end "x" is neither an IPv4 address nor a last octet 0-255`},
		{"10.0.0.1-2-3", `end "2-3" is neither`},
		{"10.0.0.1-2001:db8::1", `start is IPv4, end is IPv6`},
		{"2001:db8::1-10.0.0.1", `start is IPv6, end is IPv4`},
		{"2001:db8::1-ff", `bad range "2001:db8::1-ff": end "ff" is not a full IPv6 address`},
		{"2001:db8::ff-2001:db8::1", `end before start`},
		{"fe80::1%eth0-fe80::2", `goes with one link-local address, not a range`},
		{"2001:db8::1%veth-a", `only goes with a link-local address`},
		{"10.0.0.300", `bad target "10.0.0.300": not a valid IPv4 address or range`},
		{"10.0.0", `not a valid IPv4 address`},
		{"010.0.0.1", `not a valid IPv4 address`},
		{"10.0.0-5.1", `not a valid IPv4 address or range`},
		{"1234", `not a valid IPv4 address`},
		{"2001:db8::1%eth0", `only goes with a link-local address`},
		{"2001:db8:::1", `not a valid IPv6 address`},
		{"example.com:80", `ports go in -p`},
		{"a b", `one target at a time`},
		{"a,b", `one target at a time`},
		{"-foo", `starts or ends with '-'`},
		{"foo-.example", `starts or ends with '-'`},
		{"foo..example", `empty label`},
		{".", `not a valid IPv4 address or range`},
		{"foo.123", `last label is all digits`},
		{"héllo", `not an address, prefix, range or hostname`},
		{"foo@bar", `'@' is not allowed`},
		{strings.Repeat("a", 64) + ".com", `longer than 63`},
		{strings.Repeat("abcdefg.", 32) + "com", `not an address, prefix, range or hostname`},
	}
	for _, tt := range tests {
		sp, err := ParseSpec(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseSpec(%q) = %v, %v; want error containing %q", tt.in, sp, err, tt.want)
		}
	}
}

func TestSpecAccessors(t *testing.T) {
	p := MustParseSpec("10.1.2.3/16")
	if got := p.Prefix().String(); got != "10.1.0.0/16" {
		t.Errorf("Prefix() = %s", got)
	}
	if MustParseSpec("10.0.0.1").Prefix().IsValid() {
		t.Error("an address spec has a prefix")
	}
	h := MustParseSpec("localhost")
	if h.Host() != "localhost" || h.Range() != (Range{}) || h.Range().IsValid() {
		t.Errorf("hostname spec: host %q, range %v", h.Host(), h.Range())
	}
	if p.Host() != "" {
		t.Errorf("prefix spec has host %q", p.Host())
	}
	var zero Spec
	if zero.IsValid() || zero.String() != "" || zero.Kind().String() != "invalid" {
		t.Errorf("zero Spec: valid %v, %q, %v", zero.IsValid(), zero, zero.Kind())
	}
	for k, want := range map[Kind]string{KindAddr: "address", KindPrefix: "prefix", KindRange: "range", KindHost: "hostname", 9: "kind(9)"} {
		if k.String() != want {
			t.Errorf("Kind(%d) = %q, want %q", k, k, want)
		}
	}
}

func TestSpecText(t *testing.T) {
	in := []Spec{MustParseSpec("10.0.0.1-20"), MustParseSpec("2001:db8::/64"), MustParseSpec("localhost"), {}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `["10.0.0.1-20","2001:db8::/64","localhost",""]`; string(b) != want {
		t.Errorf("json = %s, want %s", b, want)
	}
	var back []Spec
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for i := range in {
		if back[i] != in[i] {
			t.Errorf("round trip [%d] = %#v, want %#v", i, back[i], in[i])
		}
	}
	var sp Spec
	if err := sp.UnmarshalText([]byte("10.0.0.0/33")); err == nil {
		t.Error("UnmarshalText took a bad prefix")
	}
}

func TestRangeString(t *testing.T) {
	for _, tt := range []struct{ from, to, want string }{
		{"10.0.0.1", "10.0.0.1", "10.0.0.1"},
		{"10.0.0.0", "10.0.0.255", "10.0.0.0/24"},
		{"10.0.0.0", "10.0.1.255", "10.0.0.0/23"},
		{"10.0.1.0", "10.0.2.255", "10.0.1.0-10.0.2.255"},
		{"10.0.0.0", "10.0.0.254", "10.0.0.0-254"},
		{"10.0.0.4", "10.0.0.7", "10.0.0.4/30"},
		{"10.0.0.4", "10.0.0.5", "10.0.0.4-5"},
		{"2001:db8::", "2001:db8::1", "2001:db8::-2001:db8::1"},
		{"0.0.0.0", "255.255.255.255", "0.0.0.0/0"},
		{"::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::/0"},
		{"2001:db8::", "2001:db8::ffff:ffff:ffff:ffff", "2001:db8::/64"},
		{"2001:db8::", "2001:db8:0:1:ffff:ffff:ffff:ffff", "2001:db8::/63"},
		{"2001:db8::", "2001:db8:0:1:ffff:ffff:ffff:fffe", "2001:db8::-2001:db8:0:1:ffff:ffff:ffff:fffe"},
		{"2001:db8::1", "2001:db8::ffff:ffff:ffff:ffff", "2001:db8::1-2001:db8::ffff:ffff:ffff:ffff"},
		{"::", "::ffff:255.255.255.254", "::-::ffff:255.255.255.254"},
	} {
		r := Range{mustAddr(tt.from), mustAddr(tt.to)}
		if got := r.String(); got != tt.want {
			t.Errorf("Range{%s, %s} = %q, want %q", tt.from, tt.to, got, tt.want)
		}
		if back := MustParseSpec(r.String()).Range(); back != r {
			t.Errorf("ParseSpec(%q).Range() = %v, want %v", r, back, r)
		}
	}
	if got := (Range{}).String(); got != "invalid range" {
		t.Errorf("zero Range = %q", got)
	}
}

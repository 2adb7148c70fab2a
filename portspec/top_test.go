package portspec

import (
	"slices"
	"strings"
	"testing"
)

func TestTopLists(t *testing.T) {
	for _, tt := range []struct {
		proto  Proto
		minLen int
	}{{TCP, TopDefault}, {UDP, 1000}} {
		n := TopLen(tt.proto)
		if n < tt.minLen {
			t.Errorf("TopLen(%s) = %d, want at least %d", tt.proto, n, tt.minLen)
		}
		all, err := Top(tt.proto, n)
		if err != nil {
			t.Fatalf("Top(%s, %d): %v", tt.proto, n, err)
		}
		seen := map[uint16]bool{}
		for i, p := range all {
			if p == 0 {
				t.Errorf("top %s list holds port 0 at %d", tt.proto, i)
			}
			if seen[p] {
				t.Errorf("top %s list holds port %d twice", tt.proto, p)
			}
			seen[p] = true
		}
		// Every system port is in the list.
		for p := uint16(1); p <= 1023; p++ {
			if !seen[p] {
				t.Errorf("top %s list lacks system port %d", tt.proto, p)
			}
		}
		// Every shorter list is a prefix of the whole.
		for _, k := range []int{1, 10, TopFast, 500, TopDefault} {
			got, err := Top(tt.proto, k)
			if err != nil || !slices.Equal(got, all[:k]) {
				t.Errorf("Top(%s, %d) = %v, %v; want the first %d of the list", tt.proto, k, got, err, k)
			}
		}
	}
}

func TestTopTCPHolds(t *testing.T) {
	top100, err := TopTCP(TopFast)
	if err != nil {
		t.Fatal(err)
	}
	if len(top100) != 100 {
		t.Fatalf("TopTCP(100) gave %d ports", len(top100))
	}
	if got, _ := TopTCP(3); !slices.Equal(got, []uint16{80, 443, 22}) {
		t.Errorf("TopTCP(3) = %v, want [80 443 22]", got)
	}
	for _, p := range []uint16{21, 22, 23, 25, 53, 80, 110, 111, 135, 139, 143, 443, 445, 993, 995,
		1433, 1723, 3306, 3389, 5432, 5900, 6379, 8080, 8443, 27017} {
		if !slices.Contains(top100, p) {
			t.Errorf("TopTCP(100) lacks port %d", p)
		}
	}
	// The first 100 are hand-picked: each has a guessed service name,
	// except the dynamic Windows RPC ports, which IANA never assigns.
	for _, p := range top100 {
		if p < 49152 && ServiceName(p, TCP) == "" {
			t.Errorf("TopTCP(100) port %d has no service name", p)
		}
	}
	top1000, _ := TopTCP(TopDefault)
	for _, p := range []uint16{1, 7, 8888, 9200, 11211, 44818, 50000} {
		if !slices.Contains(top1000, p) {
			t.Errorf("TopTCP(1000) lacks port %d", p)
		}
	}
}

func TestTopUDPHolds(t *testing.T) {
	top, err := TopUDP(100)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []uint16{53, 67, 69, 123, 137, 161, 500, 514, 520, 1900, 4500, 5353} {
		if !slices.Contains(top, p) {
			t.Errorf("TopUDP(100) lacks port %d", p)
		}
	}
	for _, p := range top[:50] {
		if p < 49152 && ServiceName(p, UDP) == "" {
			t.Errorf("TopUDP(50) port %d has no service name", p)
		}
	}
}

func TestTopErrors(t *testing.T) {
	for _, tt := range []struct {
		proto   Proto
		n       int
		wantErr string
	}{
		{TCP, 0, "top tcp ports: 0 is not a count from 1 to "},
		{TCP, -5, "-5 is not a count"},
		{TCP, 65536, "is not a count"},
		{UDP, 0, "top udp ports: 0 is not a count"},
		{UDP, 65536, "is not a count"},
		{Proto(0), 10, "unknown protocol"},
	} {
		got, err := Top(tt.proto, tt.n)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("Top(%s, %d) = %v, %v; want error mentioning %q", tt.proto, tt.n, got, err, tt.wantErr)
		}
	}
	if TopLen(Proto(9)) != 0 {
		t.Error("TopLen of an unknown protocol is not 0")
	}
}

func TestTopSpec(t *testing.T) {
	s, err := TopSpec(10, TCP, UDP)
	if err != nil {
		t.Fatal(err)
	}
	tcp, _ := TopTCP(10)
	udp, _ := TopUDP(10)
	if !s.TCP.Equal(PortsOf(tcp...)) || !s.UDP.Equal(PortsOf(udp...)) {
		t.Errorf("TopSpec(10, tcp, udp) = %s", s)
	}
	if s, _ := TopSpec(3); s.String() != "T:22,80,443" {
		t.Errorf("TopSpec(3) = %s, want T:22,80,443", s)
	}
	if _, err := TopSpec(65536, TCP, UDP); err == nil {
		t.Error("TopSpec beyond 65535 did not fail")
	}
}

// TestTopPastRanked: past the ranked list, Top goes on in port order, up
// to every port once (nmap's --top-ports takes any count to 65535).
func TestTopPastRanked(t *testing.T) {
	for _, proto := range []Proto{TCP, UDP} {
		ranked, _ := Top(proto, TopLen(proto))
		more, err := Top(proto, TopLen(proto)+5)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(more[:len(ranked)], ranked) || !slices.IsSorted(more[len(ranked):]) {
			t.Errorf("%s: past the ranked list: %v", proto, more[len(ranked):])
		}
		all, err := Top(proto, 65535)
		if err != nil || len(all) != 65535 || PortsOf(all...).Len() != 65535 {
			t.Errorf("%s: top 65535: %d ports, %v", proto, len(all), err)
		}
	}
}

func TestParseTopErrors(t *testing.T) {
	for _, tt := range []struct{ text, wantErr string }{
		{"22\n80\n22\n", "line 3: port 22 listed twice"},
		{"22\nssh\n", `line 2: "ssh" is not a port number`},
		{"0\n", "line 1: port 0"},
		{"70000\n", "out of range"},
	} {
		_, err := parseTop(tt.text)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("parseTop(%q) error = %v, want it to mention %q", tt.text, err, tt.wantErr)
		}
	}
	got, err := parseTop("# c\n8080 # web\n\n22\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1024 || got[0] != 8080 || got[1] != 22 || got[2] != 1 || got[1023] != 1023 {
		t.Errorf("parseTop: %d ports starting %v", len(got), got[:4])
	}
}

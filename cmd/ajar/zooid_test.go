package main_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/ajarsec/ajar/internal/zoo"
	"github.com/ajarsec/ajar/portspec"
)

// zooGaps are what ajar does not learn of a zoo service although the
// daemon reveals it, with why; the test fails when a gap closes, so that
// the list stays true.
var zooGaps = map[string]string{
	"socks5/product": "Dante says nothing of itself before a client authenticates",
	"vnc/product":    "RFB carries only the protocol version: TigerVNC is not named",
	"ntp/product":    "chrony answers no mode 6 query: nothing names it",
}

// TestIdentifyZoo runs ajar scan -sV against the zoo's real daemons, on
// their usual ports and then with the ports shuffled between protocols
// (SSH where HTTP usually is, and so on), and checks the service name of
// every port, and its product and version wherever the daemon reveals
// them.
func TestIdentifyZoo(t *testing.T) {
	z := zoo.Start(t, zoo.Options{})
	for _, layout := range []zoo.Layout{zoo.Usual, zoo.Shuffled} {
		t.Run(layout.String(), func(t *testing.T) {
			z.SetLayout(layout)
			svcs := z.Services(layout)
			out := scanIn(t, z.Bed, "-sT", "-sU", "-sV", "-p", zooPorts(svcs), "-o", "jsonl", "-q", z.Addr().String())
			got := zooAnswers(t, out)
			closed := map[string]bool{}
			for _, s := range svcs {
				checkZooService(t, s, got[zooKey(s.Proto.String(), s.Port)], closed)
			}
			for gap, why := range zooGaps {
				if closed[gap] {
					t.Errorf("gap %s (%s) is closed: remove it from zooGaps", gap, why)
				}
			}
			if err := z.Check(); err != nil {
				t.Error(err)
			}
		})
	}
}

type zooAnswer struct {
	State   string `json:"state"`
	Service *struct {
		Name, Product, Version, Tunnel, Method string
	} `json:"service"`
}

func zooKey(proto string, port uint16) string { return proto + "/" + strconv.Itoa(int(port)) }

func zooAnswers(t *testing.T, out string) map[string]zooAnswer {
	t.Helper()
	got := map[string]zooAnswer{}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r struct {
			zooAnswer
			Port  uint16 `json:"port"`
			Proto string `json:"proto"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("bad JSON line %q: %v", sc.Text(), err)
		}
		got[zooKey(r.Proto, r.Port)] = r.zooAnswer
	}
	return got
}

// zooPorts is -p for the services: T:…,U:….
func zooPorts(svcs []zoo.Service) string {
	var tcp, udp []int
	for _, s := range svcs {
		if s.Proto == portspec.UDP {
			udp = append(udp, int(s.Port))
		} else {
			tcp = append(tcp, int(s.Port))
		}
	}
	join := func(ps []int) string {
		sort.Ints(ps)
		ss := make([]string, len(ps))
		for i, p := range ps {
			ss[i] = strconv.Itoa(p)
		}
		return strings.Join(ss, ",")
	}
	return "T:" + join(tcp) + ",U:" + join(udp)
}

// squash is s in lower case, letters and digits only: "nats-server" and
// "NATS Server" are the same product.
func squash(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, s)
}

func checkZooService(t *testing.T, s zoo.Service, a zooAnswer, closed map[string]bool) {
	t.Helper()
	where := fmt.Sprintf("%d/%s (%s)", s.Port, s.Proto, s.Daemon)
	if a.State != "open" || a.Service == nil || a.Service.Method != "probed" {
		t.Errorf("%s: state %q, service %+v: want %s identified", where, a.State, a.Service, s.Name)
		return
	}
	g := a.Service
	if g.Name != s.Name || (g.Tunnel == "ssl") != s.TLS {
		t.Errorf("%s: named %q (tunnel %q), want %q (TLS %v)", where, g.Name, g.Tunnel, s.Name, s.TLS)
		return
	}
	if s.Product != "" {
		gap := s.Name + "/product"
		ok := g.Product != "" && (strings.Contains(squash(g.Product), squash(s.Product)) || strings.Contains(squash(s.Product), squash(g.Product)))
		switch {
		case ok && zooGaps[gap] != "":
			closed[gap] = true
		case !ok && zooGaps[gap] == "":
			t.Errorf("%s: product %q, want %q", where, g.Product, s.Product)
		}
	}
	if s.Version != "" && !strings.HasPrefix(g.Version, s.Version) {
		t.Errorf("%s: version %q, want %q", where, g.Version, s.Version)
	}
}

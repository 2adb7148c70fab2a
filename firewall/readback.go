package firewall

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ajarsec/ajar/portspec"
)

// nftTable is the part of `nft -j list table inet ajar` Compare reads.
type nftTable struct {
	Nftables []struct {
		Chain *struct {
			Name, Hook, Policy string
		} `json:"chain"`
		Rule *struct {
			Chain string            `json:"chain"`
			Expr  []json.RawMessage `json:"expr"`
		} `json:"rule"`
	} `json:"nftables"`
}

// Compare checks the table the kernel holds (nft -j list table inet ajar)
// against the ruleset: both chains on their hooks with their policies,
// the base rules, and exactly the ruleset's port rules, in input and
// forward. It returns what differs.
func Compare(rs *Ruleset, tableJSON []byte) error {
	var t nftTable
	if err := json.Unmarshal(tableJSON, &t); err != nil {
		return fmt.Errorf("reading the table back: %w", err)
	}
	chains := map[string]string{}
	got := map[string][]string{}
	established := map[string]bool{}
	for _, item := range t.Nftables {
		if c := item.Chain; c != nil {
			chains[c.Name] = c.Hook + "/" + c.Policy
		}
		if r := item.Rule; r != nil {
			tuple, isPort, est := ruleTuple(r.Expr)
			if isPort {
				got[r.Chain] = append(got[r.Chain], tuple)
			}
			established[r.Chain] = established[r.Chain] || est
		}
	}
	var problems []string
	for name, want := range map[string]string{"input": "input/drop", "forward": "forward/accept"} {
		if chains[name] != want {
			problems = append(problems, fmt.Sprintf("chain %s is %q, want %q", name, chains[name], want))
		}
		if !established[name] {
			problems = append(problems, "chain "+name+" does not accept established traffic")
		}
	}
	for _, chain := range []string{"input", "forward"} {
		want := rs.tuples(chain == "forward")
		g := slices.Sorted(slices.Values(got[chain]))
		if !slices.Equal(g, want) {
			problems = append(problems, fmt.Sprintf("chain %s allows %s, want %s", chain, strings.Join(g, "; "), strings.Join(want, "; ")))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("table inet %s differs from the ruleset: %s", Table, strings.Join(problems, "; "))
	}
	return nil
}

// tuples are the ruleset's port rules as ruleTuple writes them, sorted;
// perRange splits them a rule a port range, as the forward chain has them.
func (rs *Ruleset) tuples(perRange bool) []string {
	var out []string
	for i := range rs.Rules {
		r := &rs.Rules[i]
		ports := []string{r.Ports.String()}
		if perRange {
			ports = nil
			for _, pr := range r.Ports.Ranges() {
				ports = append(ports, portspec.Of(pr).String())
			}
		}
		srcs := [][]string{nil}
		if len(r.Sources) > 0 {
			v4, v6 := r.sources()
			srcs = slices.DeleteFunc([][]string{v4, v6}, func(s []string) bool { return len(s) == 0 })
		}
		for _, p := range ports {
			for _, s := range srcs {
				out = append(out, tuple(r.Proto.String(), p, r.Iface, s))
			}
		}
	}
	slices.Sort(out)
	return out
}

func tuple(proto, ports, iif string, srcs []string) string {
	s := slices.Sorted(slices.Values(srcs))
	return fmt.Sprintf("%s %s iif=%s from=%s", proto, ports, iif, strings.Join(s, ","))
}

type nftMatch struct {
	Match *struct {
		Left  map[string]json.RawMessage `json:"left"`
		Right json.RawMessage            `json:"right"`
	} `json:"match"`
}

// ruleTuple reads one rule: an accepted port rule as a tuple, and whether
// it accepts established traffic.
func ruleTuple(exprs []json.RawMessage) (t string, isPort, established bool) {
	var proto, ports, iif string
	var srcs []string
	accept := false
	for _, raw := range exprs {
		if strings.Contains(string(raw), `"established"`) {
			established = true
		}
		var e nftMatch
		var keys map[string]json.RawMessage
		if json.Unmarshal(raw, &e) != nil || json.Unmarshal(raw, &keys) != nil {
			continue
		}
		if _, ok := keys["accept"]; ok {
			accept = true
		}
		if e.Match == nil {
			continue
		}
		left := string(e.Match.Left["payload"]) + string(e.Match.Left["meta"]) + string(e.Match.Left["ct"])
		switch {
		case strings.Contains(left, `"dport"`) || strings.Contains(left, `"proto-dst"`):
			ports = portsOf(e.Match.Right)
			if strings.Contains(left, `"tcp"`) {
				proto = "tcp"
			} else if strings.Contains(left, `"udp"`) {
				proto = "udp"
			}
		case strings.Contains(left, `"l4proto"`):
			json.Unmarshal(e.Match.Right, &proto)
		case strings.Contains(left, `"iifname"`):
			json.Unmarshal(e.Match.Right, &iif)
		case strings.Contains(left, `"saddr"`):
			srcs = addrsOf(e.Match.Right)
		}
	}
	if ports == "" || !accept {
		return "", false, established
	}
	return tuple(proto, ports, iif, srcs), true, established
}

// portsOf reads a port match's right side (a number, a range, a set of
// them) as a canonical port list.
func portsOf(raw json.RawMessage) string {
	var rs []portspec.Range
	var walk func(json.RawMessage)
	walk = func(raw json.RawMessage) {
		var n uint16
		if json.Unmarshal(raw, &n) == nil {
			rs = append(rs, portspec.Range{Lo: n, Hi: n})
			return
		}
		// nft writes a port it cannot type (ct original proto-dst) as
		// "0x50 [invalid type]".
		var s string
		if json.Unmarshal(raw, &s) == nil {
			f := strings.Fields(s)
			if len(f) > 0 {
				if v, err := strconv.ParseUint(f[0], 0, 16); err == nil {
					rs = append(rs, portspec.Range{Lo: uint16(v), Hi: uint16(v)})
				}
			}
			return
		}
		var obj struct {
			Range []uint16          `json:"range"`
			Set   []json.RawMessage `json:"set"`
		}
		if json.Unmarshal(raw, &obj) != nil {
			return
		}
		if len(obj.Range) == 2 {
			rs = append(rs, portspec.Range{Lo: obj.Range[0], Hi: obj.Range[1]})
		}
		for _, item := range obj.Set {
			walk(item)
		}
	}
	walk(raw)
	return portspec.Of(rs...).String()
}

// addrsOf reads an address match's right side: addresses and prefixes,
// alone or in a set.
func addrsOf(raw json.RawMessage) []string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}
	}
	var obj struct {
		Prefix *struct {
			Addr string `json:"addr"`
			Len  int    `json:"len"`
		} `json:"prefix"`
		Set []json.RawMessage `json:"set"`
	}
	if json.Unmarshal(raw, &obj) != nil {
		return nil
	}
	if obj.Prefix != nil {
		return []string{fmt.Sprintf("%s/%d", obj.Prefix.Addr, obj.Prefix.Len)}
	}
	var out []string
	for _, item := range obj.Set {
		out = append(out, addrsOf(item)...)
	}
	return out
}

package policy

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/ajarsec/ajar/record"
)

// NATPort is a port this machine publishes through a DNAT (or REDIRECT)
// rule, as Docker does for `docker run -p 8080:80`: reachable from other
// hosts whatever listens on the machine itself, and before the INPUT
// chain (and ufw) see the packet.
type NATPort struct {
	Proto record.Proto
	Port  uint16
	// To is where the rule sends the packets; its port is 0 when the
	// rule keeps the port, its address invalid for a REDIRECT (here).
	To netip.AddrPort
	// Iif is the input interface the rule takes ("" any); IifNot is set
	// when the rule takes every interface but that one.
	Iif    string
	IifNot bool
	// Rule says where the rule is: "nft ip nat DOCKER" or "iptables nat
	// DOCKER".
	Rule string
}

func (n NATPort) String() string {
	to := "this host"
	if n.To.Addr().IsValid() {
		to = n.To.Addr().String()
		if n.To.Port() != 0 {
			to = n.To.String()
		}
	}
	from := "every interface"
	switch {
	case n.Iif != "" && n.IifNot:
		from = "every interface but " + n.Iif
	case n.Iif != "":
		from = "interface " + n.Iif
	}
	return fmt.Sprintf("%s/%d published by DNAT to %s from %s (%s)", n.Proto, n.Port, to, from, n.Rule)
}

// maxNATPorts bounds the ports one rule's range publishes in the list.
const maxNATPorts = 1024

// nftDoc is the part of `nft -j list ruleset` ParseNftJSON reads.
type nftDoc struct {
	Nftables []struct {
		Rule *struct {
			Family string            `json:"family"`
			Table  string            `json:"table"`
			Chain  string            `json:"chain"`
			Expr   []json.RawMessage `json:"expr"`
		} `json:"rule"`
	} `json:"nftables"`
}

type nftExpr struct {
	Match *struct {
		Op    string          `json:"op"`
		Left  json.RawMessage `json:"left"`
		Right json.RawMessage `json:"right"`
	} `json:"match"`
	DNAT     *nftNAT `json:"dnat"`
	Redirect *nftNAT `json:"redirect"`
}

type nftNAT struct {
	Addr json.RawMessage `json:"addr"`
	Port json.RawMessage `json:"port"`
}

// ParseNftJSON finds the published ports in `nft -j list ruleset`: every
// rule with a dnat or redirect statement and a destination port match.
// Rules that only take loopback destinations are left out: they publish
// nothing to other hosts.
func ParseNftJSON(data []byte) ([]NATPort, error) {
	var doc nftDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("reading nft's JSON: %w", err)
	}
	var out []NATPort
	for _, item := range doc.Nftables {
		r := item.Rule
		if r == nil {
			continue
		}
		var n NATPort
		var ports []uint16
		nat, loopback := false, false
		for _, raw := range r.Expr {
			var e nftExpr
			if json.Unmarshal(raw, &e) != nil {
				continue
			}
			switch {
			case e.Match != nil:
				left := string(e.Match.Left)
				switch {
				case strings.Contains(left, `"dport"`):
					n.Proto = protoOf(left)
					ports = nftPorts(e.Match.Right)
				case strings.Contains(left, `"iifname"`):
					json.Unmarshal(e.Match.Right, &n.Iif)
					n.IifNot = e.Match.Op == "!="
				case strings.Contains(left, `"daddr"`) && e.Match.Op == "==":
					var s string
					json.Unmarshal(e.Match.Right, &s)
					if a, err := netip.ParseAddr(s); err == nil && a.IsLoopback() {
						loopback = true
					}
				}
			case e.DNAT != nil || e.Redirect != nil:
				nat = true
				if e.DNAT != nil {
					n.To = nftTarget(e.DNAT)
				} else {
					n.To = netip.AddrPortFrom(netip.Addr{}, nftTarget(e.Redirect).Port())
				}
			}
		}
		if !nat || loopback || n.Proto == 0 {
			continue
		}
		n.Rule = fmt.Sprintf("nft %s %s %s", r.Family, r.Table, r.Chain)
		for _, p := range ports {
			m := n
			m.Port = p
			out = append(out, m)
		}
	}
	return out, nil
}

func protoOf(left string) record.Proto {
	if strings.Contains(left, `"udp"`) {
		return record.UDP
	}
	if strings.Contains(left, `"tcp"`) {
		return record.TCP
	}
	return 0
}

// nftPorts reads a port match's right side: a number, a range, or a set
// of them.
func nftPorts(raw json.RawMessage) []uint16 {
	var n uint16
	if json.Unmarshal(raw, &n) == nil && n != 0 {
		return []uint16{n}
	}
	var r struct {
		Range []uint16          `json:"range"`
		Set   []json.RawMessage `json:"set"`
	}
	var out []uint16
	if json.Unmarshal(raw, &r) != nil {
		return nil
	}
	if len(r.Range) == 2 {
		for p := int(r.Range[0]); p <= int(r.Range[1]) && len(out) < maxNATPorts; p++ {
			if p > 0 {
				out = append(out, uint16(p))
			}
		}
	}
	for _, item := range r.Set {
		if len(out) >= maxNATPorts {
			break
		}
		out = append(out, nftPorts(item)...)
	}
	return out
}

func nftTarget(n *nftNAT) netip.AddrPort {
	var addr string
	var port uint16
	json.Unmarshal(n.Addr, &addr)
	json.Unmarshal(n.Port, &port)
	a, _ := netip.ParseAddr(addr) // an invalid address stays invalid: "this host"
	return netip.AddrPortFrom(a, port)
}

// ParseIptablesSave finds the published ports in `iptables-save` (or
// ip6tables-save) output: the nat table's DNAT and REDIRECT rules with
// a --dport.
func ParseIptablesSave(text string) []NATPort {
	var out []NATPort
	table := ""
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "*") {
			table = line[1:]
			continue
		}
		if table != "nat" || !strings.HasPrefix(line, "-A ") {
			continue
		}
		out = append(out, iptablesRule(strings.Fields(line))...)
	}
	return out
}

func iptablesRule(f []string) []NATPort {
	n := NATPort{Rule: "iptables nat " + f[1]}
	var ports []uint16
	nat, neg := false, false
	for i := 2; i < len(f); i++ {
		arg := ""
		if i+1 < len(f) {
			arg = f[i+1]
		}
		switch f[i] {
		case "!":
			neg = true
			continue
		case "-p", "--protocol":
			n.Proto = protoOf(`"` + arg + `"`)
		case "-i", "--in-interface":
			n.Iif, n.IifNot = arg, neg
		case "-d", "--destination":
			if pfx, err := netip.ParsePrefix(arg); err == nil && pfx.Addr().IsLoopback() && !neg {
				return nil
			}
		case "--dport", "--destination-port":
			ports = iptablesPorts(arg)
		case "-j":
			nat = arg == "DNAT" || arg == "REDIRECT"
		case "--to-destination":
			if ap, err := netip.ParseAddrPort(arg); err == nil {
				n.To = ap
			} else if a, err := netip.ParseAddr(arg); err == nil {
				n.To = netip.AddrPortFrom(a, 0)
			}
		case "--to-ports":
			if p, err := strconv.ParseUint(strings.Split(arg, "-")[0], 10, 16); err == nil {
				n.To = netip.AddrPortFrom(netip.Addr{}, uint16(p))
			}
		}
		neg = false
	}
	if !nat || n.Proto == 0 {
		return nil
	}
	out := make([]NATPort, 0, len(ports))
	for _, p := range ports {
		m := n
		m.Port = p
		out = append(out, m)
	}
	return out
}

// iptablesPorts reads "8080" or "8000:8100".
func iptablesPorts(s string) []uint16 {
	lo, hi, isRange := strings.Cut(s, ":")
	a, err := strconv.ParseUint(lo, 10, 16)
	if err != nil || a == 0 {
		return nil
	}
	b := a
	if isRange {
		if b, err = strconv.ParseUint(hi, 10, 16); err != nil || b < a {
			return nil
		}
	}
	var out []uint16
	for p := a; p <= b && len(out) < maxNATPorts; p++ {
		out = append(out, uint16(p))
	}
	return out
}

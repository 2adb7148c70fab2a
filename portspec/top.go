package portspec

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// The ports most likely to be open, most likely first. top_tcp.txt and
// top_udp.txt say how the team ordered them; no nmap data is used.
//
//go:embed top_tcp.txt
var topTCPTxt string

//go:embed top_udp.txt
var topUDPTxt string

// Counts of top ports the scan CLI uses.
const (
	TopFast    = 100  // -F
	TopDefault = 1000 // a scan given no port list
)

// Top gives the n ports of proto most likely to be open, most likely
// first. It fails when n is below 1 or above 65535.
//
// The list starts with the ports in top_tcp.txt (or top_udp.txt), ordered
// by the ajar team from the default ports of common server software; it
// goes on with the rest of ports 1-1023 in ascending order. Past the
// TopLen(proto) ports so ranked, it takes the other ports in ascending
// order (nmap's --top-ports takes up to every port too).
func Top(proto Proto, n int) ([]uint16, error) {
	if !proto.valid() {
		return nil, fmt.Errorf("top ports: unknown protocol %s", proto)
	}
	list := topLists()[proto-1]
	if n < 1 || n > 65535 {
		return nil, fmt.Errorf("top %s ports: %d is not a count from 1 to 65535", proto, n)
	}
	if n <= len(list) {
		return slices.Clone(list[:n]), nil
	}
	out := slices.Grow(slices.Clone(list), n-len(list))
	ranked := PortsOf(list...)
	for p := uint16(1); len(out) < n; p++ {
		if !ranked.Contains(p) {
			out = append(out, p)
		}
	}
	return out, nil
}

// TopTCP is Top(TCP, n).
func TopTCP(n int) ([]uint16, error) { return Top(TCP, n) }

// TopUDP is Top(UDP, n).
func TopUDP(n int) ([]uint16, error) { return Top(UDP, n) }

// TopLen reports how many ports the ranked top list of proto holds; Top
// goes on past it in port order. It is 0 for an unknown protocol.
func TopLen(proto Proto) int {
	if !proto.valid() {
		return 0
	}
	return len(topLists()[proto-1])
}

// TopSpec gives the top n ports of each protocol in protos, as nmap's
// --top-ports does for each protocol scanned; with no protocol, of TCP.
func TopSpec(n int, protos ...Proto) (Spec, error) {
	if len(protos) == 0 {
		protos = []Proto{TCP}
	}
	var s Spec
	for _, p := range protos {
		ports, err := Top(p, n)
		if err != nil {
			return Spec{}, err
		}
		*s.ranges(p) = PortsOf(ports...)
	}
	return s, nil
}

// topLists parses the embedded lists once, indexed by proto-1. They are
// part of the source, so a malformed list is a bug caught by the tests.
var topLists = sync.OnceValue(func() [2][]uint16 {
	var lists [2][]uint16
	for i, text := range [2]string{topTCPTxt, topUDPTxt} {
		l, err := parseTop(text)
		if err != nil {
			panic(fmt.Sprintf("portspec: top %s list: %v", Proto(i+1), err))
		}
		lists[i] = l
	}
	return lists
})

// parseTop reads one port a line, '#' starting a comment, and appends the
// ports 1-1023 the text does not list.
func parseTop(text string) ([]uint16, error) {
	var list []uint16
	seen := map[uint16]bool{}
	for i, line := range strings.Split(text, "\n") {
		line, _, _ = strings.Cut(line, "#")
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		p, err := parsePort(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		if seen[p] {
			return nil, fmt.Errorf("line %d: port %d listed twice", i+1, p)
		}
		seen[p] = true
		list = append(list, p)
	}
	for p := uint16(1); p <= 1023; p++ {
		if !seen[p] {
			list = append(list, p)
		}
	}
	return list, nil
}

// Package dht recognises BitTorrent DHT nodes (BEP 5, the Mainline DHT
// that Transmission, qBittorrent, rTorrent and others run on their peer
// port) by a KRPC ping: the answer is a bencoded response that carries
// our transaction ID back and the node's own 20-byte ID, and sometimes
// its client's version (BEP 20's "v").
package dht

import (
	"strconv"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/record"
)

const (
	name   = "bittorrent-dht"
	port   = 6881
	rarity = 8
	// nodeID is our node ID, 20 bytes; txID our transaction ID.
	nodeID = "ajar-dht-node-id-000"
	txID   = "ajdh"
	// maxDepth and maxItems bound the bencode read.
	maxDepth = 8
	maxItems = 256
)

func init() {
	fingerprint.RegisterUDP(fingerprint.UDPProbe{Name: name, Ports: []uint16{port}, Datagrams: [][]byte{Ping()}, Rarity: rarity}, Parse)
}

// Ping is the KRPC ping query of BEP 5, its dictionary keys sorted as
// bencode wants them.
func Ping() []byte {
	return []byte("d1:ad2:id20:" + nodeID + "e1:q4:ping1:t4:" + txID + "1:y1:qe")
}

// Parse reads the answer to Ping: one bencoded dictionary, all of the
// datagram, with y "r", our transaction ID as t, and r a dictionary
// holding a 20-byte id; or y "e", our t, and e a list of an error code
// and message. Anything else is ErrNoMatch.
func Parse(b []byte) (*record.Service, error) {
	v, rest, ok := decode(b, 0, new(int))
	if !ok || len(rest) != 0 {
		return nil, fingerprint.ErrNoMatch
	}
	msg, ok := v.(map[string]any)
	if !ok || msg["t"] != txID {
		return nil, fingerprint.ErrNoMatch
	}
	svc := &record.Service{Name: name, Confidence: 10}
	switch msg["y"] {
	case "r":
		r, ok := msg["r"].(map[string]any)
		if id, isStr := r["id"].(string); !ok || !isStr || len(id) != 20 {
			return nil, fingerprint.ErrNoMatch
		}
	case "e":
		e, ok := msg["e"].([]any)
		if !ok || len(e) != 2 {
			return nil, fingerprint.ErrNoMatch
		}
		code, isInt := e[0].(int64)
		text, isStr := e[1].(string)
		if !isInt || !isStr {
			return nil, fingerprint.ErrNoMatch
		}
		svc.ExtraInfo = "error " + strconv.FormatInt(code, 10) + " " + fingerprint.Printable([]byte(text), 60)
	default:
		return nil, fingerprint.ErrNoMatch
	}
	if v, ok := msg["v"].(string); ok && len(v) == 4 {
		client(svc, v)
	}
	return svc, nil
}

// clients names the two-letter client codes of BEP 20 seen in "v".
var clients = map[string]string{
	"TR": "Transmission", "UT": "uTorrent", "LT": "libtorrent (Rasterbar)", "lt": "libtorrent (Rakshasa)",
	"qB": "qBittorrent", "DE": "Deluge", "AZ": "Vuze", "BT": "BitTorrent", "KT": "KTorrent", "BC": "BitComet",
}

// client reads a "v" of two letters and two version bytes.
func client(svc *record.Service, v string) {
	if p, ok := clients[v[:2]]; ok {
		svc.Product = p
		svc.ExtraInfo = strings.TrimPrefix(svc.ExtraInfo+"; version bytes "+strconv.Itoa(int(v[2]))+"."+strconv.Itoa(int(v[3])), "; ")
	}
}

// decode reads one bencoded value: a string, an integer, a list or a
// dictionary with sorted keys, at most maxDepth deep and maxItems values
// in all (items counts them).
func decode(b []byte, depth int, items *int) (any, []byte, bool) {
	if len(b) == 0 || depth > maxDepth || *items >= maxItems {
		return nil, b, false
	}
	*items++
	switch c := b[0]; {
	case c == 'i':
		end := strings.IndexByte(string(b), 'e')
		if end < 2 {
			return nil, b, false
		}
		n, ok := integer(string(b[1:end]))
		return n, b[end+1:], ok
	case c == 'l':
		var list []any
		b = b[1:]
		for len(b) > 0 && b[0] != 'e' {
			v, rest, ok := decode(b, depth+1, items)
			if !ok {
				return nil, b, false
			}
			list, b = append(list, v), rest
		}
		if len(b) == 0 {
			return nil, b, false
		}
		return list, b[1:], true
	case c == 'd':
		return dict(b[1:], depth, items)
	case c >= '0' && c <= '9':
		return str(b)
	}
	return nil, b, false
}

func dict(b []byte, depth int, items *int) (any, []byte, bool) {
	m := map[string]any{}
	last := ""
	for len(b) > 0 && b[0] != 'e' {
		k, rest, ok := str(b)
		key, _ := k.(string)
		if !ok || (len(m) > 0 && key <= last) {
			return nil, b, false
		}
		v, rest, ok := decode(rest, depth+1, items)
		if !ok {
			return nil, b, false
		}
		m[key], last, b = v, key, rest
	}
	if len(b) == 0 {
		return nil, b, false
	}
	return m, b[1:], true
}

// str reads a byte string: its decimal length, ':', the bytes.
func str(b []byte) (any, []byte, bool) {
	colon := strings.IndexByte(string(b[:min(len(b), 8)]), ':')
	if colon < 1 || (b[0] == '0' && colon > 1) {
		return nil, b, false
	}
	n, ok := integer(string(b[:colon]))
	if !ok || n < 0 || int64(len(b)-colon-1) < n {
		return nil, b, false
	}
	return string(b[colon+1 : colon+1+int(n)]), b[colon+1+int(n):], true
}

// integer reads a bencode integer: digits with an optional minus, no
// leading zeros, no "-0", at most 18 digits.
func integer(s string) (int64, bool) {
	neg := strings.HasPrefix(s, "-")
	d := strings.TrimPrefix(s, "-")
	if d == "" || len(d) > 18 || (d[0] == '0' && (len(d) > 1 || neg)) || strings.Trim(d, "0123456789") != "" {
		return 0, false
	}
	var n int64
	for _, c := range d {
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// Package quake3 recognises game servers of the Quake III Arena family
// (ioquake3, OpenArena, DarkPlaces and Xonotic, Wolfenstein: Enemy
// Territory, Urban Terror) over UDP by the connectionless "getinfo"
// request: four 0xff bytes, then "getinfo" and a challenge, which the
// server's infoResponse carries back as its "challenge" key among the
// game, map and player count.
package quake3

import (
	"bytes"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/record"
)

const (
	name   = "quake3"
	port   = 27960
	rarity = 8
	// oob begins every connectionless packet.
	oob = "\xff\xff\xff\xff"
	// challenge is ours: letters and digits, which every engine passes
	// on as it is.
	challenge = "ajarq3c7f3a"
	reply     = oob + "infoResponse\n"
	// maxPairs bounds the keys read (an info string is at most 1 KiB).
	maxPairs = 64
)

func init() {
	fingerprint.RegisterUDP(fingerprint.UDPProbe{Name: name, Ports: []uint16{port}, Datagrams: [][]byte{GetInfo()}, Rarity: rarity}, Parse)
}

// GetInfo is the getinfo request with our challenge.
func GetInfo() []byte { return []byte(oob + "getinfo " + challenge) }

// Parse reads infoResponse: the out-of-band prefix, "infoResponse" and a
// newline, then an info string of backslash-separated keys and values
// (at most one newline after it) whose "challenge" is ours. Anything
// else is ErrNoMatch.
func Parse(b []byte) (*record.Service, error) {
	info, ok := bytes.CutPrefix(b, []byte(reply))
	if !ok {
		return nil, fingerprint.ErrNoMatch
	}
	info = bytes.TrimSuffix(info, []byte("\n"))
	kv, ok := pairs(string(info))
	if !ok || kv["challenge"] != challenge {
		return nil, fingerprint.ErrNoMatch
	}
	svc := &record.Service{Name: name, Confidence: 10}
	svc.Product = clean(kv["gamename"])
	var extra []string
	if p := kv["protocol"]; p != "" {
		extra = append(extra, "protocol "+clean(p))
	}
	if m := kv["mapname"]; m != "" {
		extra = append(extra, "map "+clean(m))
	}
	if c, m := kv["clients"], kv["sv_maxclients"]; c != "" && m != "" {
		extra = append(extra, clean(c)+"/"+clean(m)+" players")
	}
	if h := kv["hostname"]; h != "" {
		extra = append(extra, "host "+clean(h))
	}
	svc.ExtraInfo = strings.Join(extra, "; ")
	return svc, nil
}

// pairs splits an info string, "\key\value\key\value", into its keys and
// values: a leading backslash, an even count, no key empty, no newline.
func pairs(s string) (map[string]string, bool) {
	if !strings.HasPrefix(s, `\`) || strings.ContainsAny(s, "\n\x00") {
		return nil, false
	}
	f := strings.Split(s[1:], `\`)
	if len(f)%2 != 0 || len(f)/2 > maxPairs {
		return nil, false
	}
	kv := make(map[string]string, len(f)/2)
	for i := 0; i < len(f); i += 2 {
		if f[i] == "" {
			return nil, false
		}
		kv[strings.ToLower(f[i])] = f[i+1]
	}
	return kv, true
}

// clean drops Quake's colour codes ("^1") and keeps printable ASCII, at
// most 64 bytes.
func clean(s string) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < 64; i++ {
		switch c := s[i]; {
		case c == '^' && i+1 < len(s):
			i++
		case c >= 0x20 && c < 0x7f:
			b.WriteByte(c)
		}
	}
	return strings.TrimSpace(b.String())
}

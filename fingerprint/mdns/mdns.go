// Package mdns recognises multicast DNS responders (RFC 6762) with
// DNS-SD (RFC 6763) over UDP by the service enumeration query, sent to
// port 5353 from another port: a "legacy unicast" query (RFC 6762 §6.7)
// that a responder answers by unicast to its source, with our ID, the
// question repeated and a PTR record for each service type it offers.
package mdns

import (
	"encoding/binary"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/dns"
	"github.com/ajarsec/ajar/record"
)

const (
	name   = "mdns"
	port   = 5353
	rarity = 3
	// queryID is our query's ID, which a legacy unicast answer repeats.
	queryID = 0x616a // "aj"
	// servicesName is the service enumeration name (RFC 6763 §9).
	servicesName = "_services._dns-sd._udp.local."
	typePTR      = 12
	classIN      = 1
	// maxRecords bounds the records read; maxShown the types listed.
	maxRecords = 64
	maxShown   = 8
)

func init() {
	fingerprint.RegisterUDP(fingerprint.UDPProbe{Name: name, Ports: []uint16{port}, Datagrams: [][]byte{Query()}, Rarity: rarity}, Parse)
}

// Query asks for PTR records of the service enumeration name, class IN:
// a 12-byte header (our ID, all flags zero, one question), the name as
// length-prefixed labels, type and class.
func Query() []byte {
	b := binary.BigEndian.AppendUint16(nil, queryID)
	b = append(b, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0)
	for label := range strings.SplitSeq(strings.TrimSuffix(servicesName, "."), ".") {
		b = append(b, byte(len(label)))
		b = append(b, label...)
	}
	b = append(b, 0)
	b = binary.BigEndian.AppendUint16(b, typePTR)
	return binary.BigEndian.AppendUint16(b, classIN)
}

// Parse reads the answer to Query: a response with our ID, opcode 0, no
// error, and among its answers at least one PTR record of the service
// enumeration name; the service types named are listed. Anything else,
// a DNS server's NXDOMAIN or REFUSED among it, is ErrNoMatch.
func Parse(b []byte) (*record.Service, error) {
	if len(b) < 12 {
		return nil, fingerprint.ErrNoMatch
	}
	id, flags := binary.BigEndian.Uint16(b), binary.BigEndian.Uint16(b[2:])
	qd, an := int(binary.BigEndian.Uint16(b[4:])), int(binary.BigEndian.Uint16(b[6:]))
	if id != queryID || flags&0x8000 == 0 || flags>>11&0xf != 0 || flags&0xf != 0 || qd > 1 || an == 0 {
		return nil, fingerprint.ErrNoMatch
	}
	off := 12
	if qd == 1 {
		q, next, err := dns.ReadName(b, off)
		if err != nil || !strings.EqualFold(q, servicesName) || next+4 > len(b) {
			return nil, fingerprint.ErrNoMatch
		}
		off = next + 4
	}
	var types []string
	found := false
	for range min(an, maxRecords) {
		owner, next, err := dns.ReadName(b, off)
		if err != nil || next+10 > len(b) {
			return nil, fingerprint.ErrNoMatch
		}
		typ := binary.BigEndian.Uint16(b[next:])
		rdlen := int(binary.BigEndian.Uint16(b[next+8:]))
		rdata := next + 10
		if rdata+rdlen > len(b) {
			return nil, fingerprint.ErrNoMatch
		}
		if typ == typePTR && strings.EqualFold(owner, servicesName) {
			target, _, err := dns.ReadName(b, rdata)
			if err != nil {
				return nil, fingerprint.ErrNoMatch
			}
			found = true
			if t := serviceType(target); t != "" && len(types) < maxShown {
				types = append(types, t)
			}
		}
		off = rdata + rdlen
	}
	if !found {
		return nil, fingerprint.ErrNoMatch
	}
	svc := &record.Service{Name: name, Confidence: 10}
	if len(types) > 0 {
		svc.ExtraInfo = "services: " + strings.Join(types, ", ")
	}
	return svc, nil
}

// serviceType shortens "_http._tcp.local." to "_http._tcp", printable
// ASCII only.
func serviceType(s string) string {
	s = strings.TrimSuffix(strings.TrimSuffix(s, "."), ".local")
	var sb strings.Builder
	for i := range min(len(s), 64) {
		if c := s[i]; c > 0x20 && c < 0x7f && c != ',' {
			sb.WriteByte(c)
		}
	}
	return sb.String()
}

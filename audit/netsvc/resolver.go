package netsvc

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/ajarsec/ajar/audit"
	fpdns "github.com/ajarsec/ajar/fingerprint/dns"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() {
	audit.Register(resolverCheck{proto: portspec.UDP})
	audit.Register(resolverCheck{proto: portspec.TCP})
}

// resolverCheck asks a DNS server, with recursion desired, for the PTR
// record of the scanned host's own address.
//
// Why that name: proving recursion needs a name the server is not
// authoritative for, and the check must not make a target look up a
// third party's name. The scanned host's own reverse name is about the
// target itself; a resolver finds it by walking the in-addr.arpa (or
// ip6.arpa) delegation, the registry's and the address owner's servers,
// never an arbitrary domain. An answer that is not authoritative (AA
// clear, RA set) with the record, or a name error learnt the same way,
// shows the server recursed for a stranger. A server authoritative for
// that reverse zone answers with AA: not applicable, as nothing shows
// recursion then. In the audit zoo the reverse zone is served by NSD
// next to the resolver (internal/zoo/audit_net.go).
type resolverCheck struct{ proto portspec.Proto }

func (c resolverCheck) Info() audit.Info {
	name := "dns-recursion"
	if c.proto == portspec.TCP {
		name += "-tcp"
	}
	return audit.Info{Name: name, Services: []string{"dns"}, Proto: c.proto}
}

// queryID is the ID of the check's query.
const queryID = 0x616a

func (c resolverCheck) Run(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	name := ReverseName(t.Addr.Addr())
	q := PTRQuery(queryID, name)
	conn, err := t.DialPlain(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	var b []byte
	if c.proto == portspec.TCP {
		msg := binary.BigEndian.AppendUint16(nil, uint16(len(q)))
		b, err = audit.Exchange(conn, append(msg, q...), tcpWhole, replyMax)
		if err == nil {
			b = b[2:]
		}
	} else {
		b, err = udpExchange(conn, q)
	}
	if err != nil {
		return nil, audit.ErrNotApplicable // silence: a server that does not answer strangers
	}
	return JudgeRecursion(b, queryID, name)
}

// tcpWhole: a length-prefixed DNS message has come whole.
func tcpWhole(b []byte) bool {
	return len(b) >= 2 && len(b) >= 2+int(binary.BigEndian.Uint16(b))
}

// udpExchange sends q and reads one datagram.
func udpExchange(c *audit.Conn, q []byte) ([]byte, error) {
	if _, err := c.Write(q); err != nil {
		return nil, err
	}
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	return buf[:n], err
}

// ReverseName is the PTR name of an address: "2.0.0.10.in-addr.arpa." or
// the nibbles of ip6.arpa.
func ReverseName(a netip.Addr) string {
	a = a.Unmap()
	var parts []string
	b := a.AsSlice()
	if a.Is4() {
		for i := len(b) - 1; i >= 0; i-- {
			parts = append(parts, fmt.Sprint(b[i]))
		}
		return strings.Join(parts, ".") + ".in-addr.arpa."
	}
	for i := len(b) - 1; i >= 0; i-- {
		parts = append(parts, fmt.Sprintf("%x.%x", b[i]&0xf, b[i]>>4))
	}
	return strings.Join(parts, ".") + ".ip6.arpa."
}

// PTRQuery is a standard query with recursion desired for the PTR record
// of name.
func PTRQuery(id uint16, name string) []byte {
	q := binary.BigEndian.AppendUint16(nil, id)
	q = append(q, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0) // RD; QDCOUNT 1
	for _, label := range strings.Split(strings.TrimSuffix(name, "."), ".") {
		q = append(q, byte(len(label)))
		q = append(q, label...)
	}
	return append(q, 0, 0, 12, 0, 1) // root, PTR, IN
}

// DNS header bits (RFC 1035 section 4.1.1).
const (
	flagQR = 1 << 15
	flagAA = 1 << 10
	flagRA = 1 << 7
)

const (
	rcodeNoError  = 0
	rcodeNXDomain = 3
)

var errNotDNS = errors.New("not a DNS response to the query")

// JudgeRecursion judges a DNS server's response to PTRQuery(id, name): a
// response with recursion available and not authoritative, holding PTR
// records (confirmed) or a name error (likely: learnt from elsewhere),
// shows a resolver that recurses for anyone. REFUSED, an authoritative
// answer, or recursion not available are not applicable.
func JudgeRecursion(b []byte, id uint16, name string) ([]record.Finding, error) {
	answers, flags, err := parsePTRResponse(b, id)
	if err != nil {
		return nil, audit.ErrNotApplicable
	}
	rcode := flags & 0xf
	if flags&flagRA == 0 || flags&flagAA != 0 {
		return nil, audit.ErrNotApplicable
	}
	var ev string
	conf := record.Confirmed
	switch {
	case rcode == rcodeNoError && len(answers) > 0:
		ev = fmt.Sprintf("PTR %s with recursion desired: NOERROR, RA set, AA clear: %s", name, strings.Join(answers, " "))
	case rcode == rcodeNXDomain:
		ev = fmt.Sprintf("PTR %s with recursion desired: NXDOMAIN, RA set, AA clear (learnt from another server)", name)
		conf = record.Likely
	default:
		return nil, audit.ErrNotApplicable
	}
	return []record.Finding{{
		ID: "dns-open-resolver", Category: record.OpenResolver, Severity: record.High,
		Title:    "DNS server resolves names recursively for anyone: a reflector for amplification attacks and a target for cache poisoning",
		Evidence: audit.Evidence([]byte(ev)),
		Remediation: "answer recursive queries from your own clients only: Unbound `access-control: <your network> allow` " +
			"(the default refuses others), BIND `allow-recursion { localnets; };` or `recursion no;` on an authoritative server, " +
			"dnsmasq `local-service` or `interface=`/`listen-address=` on inside addresses",
		References: []string{"CWE-406", "https://www.cisa.gov/news-events/alerts/2013/03/29/dns-amplification-attacks"},
		Confidence: conf,
	}}, nil
}

// parsePTRResponse reads a response to the query id: its flags and the
// PTR names it answers with.
func parsePTRResponse(b []byte, id uint16) ([]string, uint16, error) {
	if len(b) < 12 || binary.BigEndian.Uint16(b) != id {
		return nil, 0, errNotDNS
	}
	flags := binary.BigEndian.Uint16(b[2:])
	qd, an := int(binary.BigEndian.Uint16(b[4:])), int(binary.BigEndian.Uint16(b[6:]))
	if flags&flagQR == 0 || qd > 1 || an > 32 {
		return nil, 0, errNotDNS
	}
	off := 12
	var err error
	if qd == 1 {
		if _, off, err = fpdns.ReadName(b, off); err != nil || off+4 > len(b) {
			return nil, 0, errNotDNS
		}
		off += 4
	}
	var names []string
	for range an {
		if _, off, err = fpdns.ReadName(b, off); err != nil || off+10 > len(b) {
			return nil, 0, errNotDNS
		}
		typ, n := binary.BigEndian.Uint16(b[off:]), int(binary.BigEndian.Uint16(b[off+8:]))
		off += 10
		if off+n > len(b) {
			return nil, 0, errNotDNS
		}
		if typ == 12 {
			target, _, err := fpdns.ReadName(b, off)
			if err != nil {
				return nil, 0, errNotDNS
			}
			names = append(names, target)
		}
		off += n
	}
	return names, flags, nil
}

package dns

import (
	"encoding/binary"
	"fmt"
	"regexp"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/record"
)

// DNS constants (RFC 1035 section 3.2, 4.1.1).
const (
	headerLen  = 12
	typeTXT    = 16
	classCH    = 3
	maxMessage = 65535
	// maxRecords bounds the records read from one message.
	maxRecords = 64
	// maxPointers bounds the compression pointers followed in one name.
	maxPointers = 16
	maxNameLen  = 255
)

// rcodeNames are the response codes of RFC 1035 and RFC 2136.
var rcodeNames = []string{"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
	"YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"}

// errWrongID says a message is a DNS response, but not to our query.
var errWrongID = fmt.Errorf("dns: response to another query: %w", fingerprint.ErrNoMatch)

// Query builds a standard query, without recursion, for the CHAOS-class
// TXT record name.
func Query(id uint16, name string) ([]byte, error) {
	q := make([]byte, headerLen, headerLen+len(name)+6)
	binary.BigEndian.PutUint16(q, id)
	binary.BigEndian.PutUint16(q[4:], 1) // QDCOUNT
	for _, label := range strings.Split(strings.TrimSuffix(name, "."), ".") {
		if label == "" || len(label) > 63 {
			return nil, fmt.Errorf("dns: bad name %q", name)
		}
		q = append(q, byte(len(label)))
		q = append(q, label...)
	}
	q = append(q, 0)
	q = binary.BigEndian.AppendUint16(q, typeTXT)
	return binary.BigEndian.AppendUint16(q, classCH), nil
}

// message is what a response says that matters here.
type message struct {
	rcode int
	// texts are the CHAOS TXT answers, each record's strings joined.
	texts []string
}

// ParseResponse reads a DNS response (without the TCP length prefix) to
// the query with the given ID and says what the server is. A message that
// is not a well-formed response with that ID is ErrNoMatch.
func ParseResponse(b []byte, id uint16) (*record.Service, error) {
	m, err := parseMessage(b, id)
	if err != nil {
		return nil, err
	}
	return describe(m), nil
}

func parseMessage(b []byte, id uint16) (*message, error) {
	if len(b) < headerLen {
		return nil, fingerprint.ErrNoMatch
	}
	flags := binary.BigEndian.Uint16(b[2:])
	if flags&0x8000 == 0 || (flags>>11)&0xf != 0 {
		// Not a response, or not to a standard query.
		return nil, fingerprint.ErrNoMatch
	}
	if binary.BigEndian.Uint16(b) != id {
		return nil, errWrongID
	}
	qd := int(binary.BigEndian.Uint16(b[4:]))
	an := int(binary.BigEndian.Uint16(b[6:]))
	if qd > 1 || an > maxRecords {
		return nil, fingerprint.ErrNoMatch
	}
	m := &message{rcode: int(flags & 0xf)}
	off := headerLen
	for range qd {
		var err error
		if _, off, err = readName(b, off); err != nil {
			return nil, err
		}
		if off+4 > len(b) {
			return nil, fingerprint.ErrNoMatch
		}
		off += 4
	}
	for range an {
		var (
			err error
			rr  resource
		)
		if rr, off, err = readRecord(b, off); err != nil {
			return nil, err
		}
		if rr.typ == typeTXT && rr.class == classCH {
			if txt, ok := txtString(rr.data); ok {
				m.texts = append(m.texts, txt)
			}
		}
	}
	return m, nil
}

type resource struct {
	typ, class uint16
	data       []byte
}

func readRecord(b []byte, off int) (resource, int, error) {
	_, off, err := readName(b, off)
	if err != nil {
		return resource{}, 0, err
	}
	if off+10 > len(b) {
		return resource{}, 0, fingerprint.ErrNoMatch
	}
	rr := resource{typ: binary.BigEndian.Uint16(b[off:]), class: binary.BigEndian.Uint16(b[off+2:])}
	n := int(binary.BigEndian.Uint16(b[off+8:]))
	off += 10
	if off+n > len(b) {
		return resource{}, 0, fingerprint.ErrNoMatch
	}
	rr.data = b[off : off+n]
	return rr, off + n, nil
}

var errName = fmt.Errorf("dns: malformed name: %w", fingerprint.ErrNoMatch)

// readName reads a possibly compressed domain name at off and returns it
// and the offset after it.
// ReadName reads the (possibly compressed) domain name at off in the DNS
// message b, with a dot after each label, and returns the offset after
// it; a bounded number of pointers are followed.
func ReadName(b []byte, off int) (name string, next int, err error) { return readName(b, off) }

func readName(b []byte, off int) (string, int, error) {
	var sb strings.Builder
	next := -1
	for jumps := 0; ; {
		if off >= len(b) {
			return "", 0, errName
		}
		l := int(b[off])
		switch {
		case l == 0:
			if next < 0 {
				next = off + 1
			}
			return sb.String(), next, nil
		case l&0xc0 == 0xc0:
			if off+1 >= len(b) || jumps >= maxPointers {
				return "", 0, errName
			}
			if next < 0 {
				next = off + 2
			}
			off = int(binary.BigEndian.Uint16(b[off:]) & 0x3fff)
			jumps++
		case l&0xc0 != 0:
			return "", 0, errName
		default:
			if off+1+l > len(b) || sb.Len()+l+1 > maxNameLen {
				return "", 0, errName
			}
			sb.Write(b[off+1 : off+1+l])
			sb.WriteByte('.')
			off += 1 + l
		}
	}
}

// txtString joins the character-strings of TXT data.
func txtString(d []byte) (string, bool) {
	var sb strings.Builder
	for len(d) > 0 {
		n := int(d[0])
		if 1+n > len(d) {
			return "", false
		}
		sb.Write(d[1 : 1+n])
		d = d[1+n:]
	}
	return sb.String(), true
}

// describe turns a response into a Service.
func describe(m *message) *record.Service {
	svc := &record.Service{Name: "dns", Confidence: 10}
	for _, txt := range m.texts {
		if txt = strings.TrimSpace(txt); txt != "" {
			nameVersion(svc, txt)
			return svc
		}
	}
	if m.rcode != 0 {
		svc.ExtraInfo = "version query: " + rcodeName(m.rcode)
	}
	return svc
}

func rcodeName(rc int) string {
	if rc < len(rcodeNames) {
		return rcodeNames[rc]
	}
	return fmt.Sprintf("RCODE %d", rc)
}

// versionPatterns map a version string to a product: the first group is
// the version, any text after the match goes to ExtraInfo.
var versionPatterns = []struct {
	re                    *regexp.Regexp
	product, vendor, name string
}{
	{regexp.MustCompile(`^dnsmasq-(\d[\w.]*)`), "dnsmasq", "thekelleys", "dnsmasq"},
	{regexp.MustCompile(`^(9\.\d+\.\d+(?:-[PS]\d+)?)`), "ISC BIND", "isc", "bind"},
	{regexp.MustCompile(`^BIND (9\.\d+\.\d+(?:-[PS]\d+)?)`), "ISC BIND", "isc", "bind"},
	{regexp.MustCompile(`^unbound (\d[\w.]*)`), "Unbound", "nlnetlabs", "unbound"},
	{regexp.MustCompile(`^NSD (\d[\w.]*)`), "NSD", "nlnetlabs", "nsd"},
	{regexp.MustCompile(`^PowerDNS Authoritative Server (\d[\w.]*)`), "PowerDNS Authoritative Server", "powerdns", "authoritative"},
	{regexp.MustCompile(`^PowerDNS Recursor (\d[\w.]*)`), "PowerDNS Recursor", "powerdns", "recursor"},
	{regexp.MustCompile(`^Knot DNS (\d[\w.]*)`), "Knot DNS", "nic", "knot_dns"},
	{regexp.MustCompile(`^Knot Resolver (\d[\w.]*)`), "Knot Resolver", "nic", "knot_resolver"},
	{regexp.MustCompile(`^CoreDNS-(\d[\w.]*)`), "CoreDNS", "coredns.io", "coredns"},
	{regexp.MustCompile(`^Microsoft DNS (\d[\d.]*)`), "Microsoft DNS", "", ""},
}

// nameVersion fills the product and version from a version string, or
// keeps the string in ExtraInfo when it names no product we know.
func nameVersion(svc *record.Service, txt string) {
	txt = fingerprint.Printable([]byte(txt), 160)
	for _, p := range versionPatterns {
		m := p.re.FindStringSubmatchIndex(txt)
		if m == nil {
			continue
		}
		svc.Product, svc.Version = p.product, txt[m[2]:m[3]]
		if rest := strings.Trim(txt[m[1]:], " -()"); rest != "" {
			svc.ExtraInfo = rest
		}
		if p.vendor != "" {
			svc.CPE = []string{fingerprint.CPE(p.vendor, p.name, svc.Version)}
		}
		return
	}
	svc.ExtraInfo = "version: " + txt
}

// Package ldap recognises LDAP servers by an anonymous search of the root
// DSE (RFC 4512 section 5.1), which every LDAPv3 server answers before
// any bind: its supported versions, naming contexts, extensions and, on
// some servers, vendorName and vendorVersion. The BER is encoded and
// decoded here. When the server offers StartTLS (RFC 4511 section 4.14),
// the session is upgraded to describe its TLS.
package ldap

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{
		Name:     "ldap",
		Proto:    portspec.TCP,
		Ports:    []uint16{389, 3268},
		TLSPorts: []uint16{636, 3269},
		Rarity:   6,
	}
}

const (
	// replyMax bounds the root DSE answer; Active Directory's, with all
	// the attributes asked for, is a few KiB.
	replyMax = 32 << 10
	// startTLSOID names the StartTLS extended operation.
	startTLSOID = "1.3.6.1.4.1.1466.20037"
	// adCapability is LDAP_CAP_ACTIVE_DIRECTORY_OID.
	adCapability = "1.2.840.113556.1.4.800"
)

// rootDSEAttributes are the attributes asked of the root DSE.
var rootDSEAttributes = []string{
	"supportedLDAPVersion", "vendorName", "vendorVersion", "namingContexts",
	"supportedExtension", "supportedCapabilities", "configContext",
	"defaultNamingContext", "dnsHostName", "objectClass", "structuralObjectClass",
}

// SearchRequest is LDAPMessage id with a base-object search of the root
// DSE for attrs, with the filter (objectClass=*).
func SearchRequest(id int32, attrs []string) []byte {
	var list [][]byte
	for _, a := range attrs {
		list = append(list, octets(a))
	}
	return tlv(tagSequence,
		integer(tagInteger, id),
		tlv(appSearchRequest,
			octets(""),                 // baseObject: the root DSE
			integer(tagEnumerated, 0),  // scope: baseObject
			integer(tagEnumerated, 0),  // derefAliases: never
			integer(tagInteger, 0),     // sizeLimit
			integer(tagInteger, 0),     // timeLimit
			tlv(tagBoolean, []byte{0}), // typesOnly: false
			tlv(ctxPresentFilter, []byte("objectClass")),
			tlv(tagSequence, list...),
		))
}

// ExtendedRequest is LDAPMessage id with an extended operation by OID.
func ExtendedRequest(id int32, oid string) []byte {
	return tlv(tagSequence, integer(tagInteger, id),
		tlv(appExtendedRequest, tlv(ctxRequestName, []byte(oid))))
}

func (plugin) Identify(ctx context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := c.Exchange(SearchRequest(1, rootDSEAttributes), answerDone(1), replyMax)
	svc, dse, perr := parse(b)
	if perr != nil {
		if len(b) == 0 && err != nil {
			return nil, err
		}
		return nil, perr
	}
	if c.TLS() == nil && slices.Contains(dse["supportedextension"], startTLSOID) {
		startTLS(ctx, c)
	}
	return svc, nil
}

// startTLS asks for StartTLS and upgrades the session when the server
// agrees. A failure leaves the identification as it is.
func startTLS(ctx context.Context, c *fingerprint.Conn) {
	b, err := c.Exchange(ExtendedRequest(2, startTLSOID), answerDone(2), 4096)
	if err != nil {
		return
	}
	if code, ok := extendedResult(b, 2); ok && code == 0 {
		_ = c.StartTLS(ctx, "StartTLS") // on failure, Conn.TLS stays nil
	}
}

// message is one LDAPMessage: its id and protocol operation.
type message struct {
	id int
	op element
}

// nextMessage splits the first LDAPMessage off b. whole is false while b
// holds only part of it.
func nextMessage(b []byte) (m message, rest []byte, whole bool, err error) {
	if len(b) > 0 && b[0] != tagSequence {
		return m, b, false, errBER
	}
	e, rest, whole, err := next(b)
	if err != nil || !whole {
		return m, b, whole, err
	}
	if e.tag != tagSequence {
		return m, b, false, errBER
	}
	parts, err := children(e.content)
	if err != nil || len(parts) < 2 {
		return m, b, false, errBER
	}
	id, ok := intValue(parts[0], tagInteger)
	if !ok || id < 0 {
		return m, b, false, errBER
	}
	return message{id, parts[1]}, rest, true, nil
}

// answerDone is a ReadUntil test for the answer to message id: it is
// whole at the SearchResultDone or ExtendedResponse of that id, or at a
// notice of disconnection (id 0), or when the bytes cannot be LDAP.
func answerDone(id int) func([]byte) bool {
	return func(b []byte) bool {
		for {
			m, rest, whole, err := nextMessage(b)
			if err != nil {
				return true
			}
			if !whole {
				return false
			}
			if m.id == 0 || (m.id == id && (m.op.tag == appSearchResDone || m.op.tag == appExtendedResponse)) {
				return true
			}
			b = rest
		}
	}
}

// ldapResult reads the resultCode and diagnosticMessage of an LDAPResult.
func ldapResult(op element) (code int, diag string, ok bool) {
	parts, err := children(op.content)
	if err != nil || len(parts) < 3 || parts[1].tag != tagOctetString || parts[2].tag != tagOctetString {
		return 0, "", false
	}
	code, ok = intValue(parts[0], tagEnumerated)
	return code, string(parts[2].content), ok
}

// extendedResult reads the result code of the ExtendedResponse to id.
func extendedResult(b []byte, id int) (int, bool) {
	for len(b) > 0 {
		m, rest, whole, err := nextMessage(b)
		if err != nil || !whole {
			return 0, false
		}
		if m.id == id && m.op.tag == appExtendedResponse {
			code, _, ok := ldapResult(m.op)
			return code, ok
		}
		b = rest
	}
	return 0, false
}

// dse holds root DSE attributes by lower-case name.
type dse map[string][]string

// Parse reads the answer to the root DSE search: SearchResultEntry then
// SearchResultDone, or SearchResultDone alone when the server refuses.
func Parse(b []byte) (*record.Service, error) {
	svc, _, err := parse(b)
	return svc, err
}

func parse(b []byte) (*record.Service, dse, error) {
	attrs := dse{}
	var proof, entry bool
	code := -1
	diag := ""
	for len(b) > 0 {
		m, rest, whole, err := nextMessage(b)
		if err != nil || !whole {
			break
		}
		b = rest
		switch {
		case m.id == 1 && m.op.tag == appSearchResEntry:
			if err := readEntry(m.op, attrs); err != nil {
				return nil, nil, fingerprint.ErrNoMatch
			}
			proof, entry = true, true
		case m.id == 1 && m.op.tag == appSearchResRef:
		case m.id == 1 && m.op.tag == appSearchResDone, m.id == 0 && m.op.tag == appExtendedResponse:
			c, d, ok := ldapResult(m.op)
			if !ok {
				return nil, nil, fingerprint.ErrNoMatch
			}
			proof, code, diag = true, c, d
		default:
			return nil, nil, fingerprint.ErrNoMatch
		}
	}
	if !proof {
		return nil, nil, fingerprint.ErrNoMatch
	}
	svc := describe(attrs)
	if !entry && code != 0 {
		refused := "root DSE search refused: " + resultName(code)
		if diag != "" {
			refused += " (" + fingerprint.Printable([]byte(diag), 80) + ")"
		}
		svc.ExtraInfo = strings.TrimPrefix(svc.ExtraInfo+"; "+refused, "; ")
	}
	return svc, attrs, nil
}

// readEntry collects the attributes of a SearchResultEntry.
func readEntry(op element, attrs dse) error {
	parts, err := children(op.content)
	if err != nil || len(parts) != 2 || parts[0].tag != tagOctetString || parts[1].tag != tagSequence {
		return errBER
	}
	list, err := children(parts[1].content)
	if err != nil {
		return err
	}
	for _, a := range list {
		kv, err := children(a.content)
		if err != nil || a.tag != tagSequence || len(kv) != 2 || kv[0].tag != tagOctetString || kv[1].tag != tagSet {
			return errBER
		}
		vals, err := children(kv[1].content)
		if err != nil {
			return err
		}
		name := strings.ToLower(string(kv[0].content))
		for _, v := range vals {
			if v.tag != tagOctetString {
				return errBER
			}
			attrs[name] = append(attrs[name], string(v.content))
		}
	}
	return nil
}

// resultNames names the result codes a refused search may carry.
var resultNames = map[int]string{
	1: "operationsError", 2: "protocolError", 8: "strongerAuthRequired", 13: "confidentialityRequired",
	32: "noSuchObject", 48: "inappropriateAuthentication", 49: "invalidCredentials",
	50: "insufficientAccessRights", 51: "busy", 52: "unavailable", 53: "unwillingToPerform",
}

func resultName(code int) string {
	if n, ok := resultNames[code]; ok {
		return n
	}
	return "result " + strconv.Itoa(code)
}

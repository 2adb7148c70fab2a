package ldap

import (
	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/record"
)

// Connectionless LDAP (CLDAP, RFC 1798; [MS-ADTS] §6.3.3 for Active
// Directory, whose domain controllers all serve it on UDP 389): the root
// DSE search goes in one datagram, and the answer, SearchResultEntry and
// SearchResultDone of our message ID, comes back in one.

func init() {
	fingerprint.RegisterUDP(fingerprint.UDPProbe{Name: "ldap", Ports: []uint16{389}, Datagrams: [][]byte{CLDAPRequest()}, Rarity: 6}, ParseCLDAP)
}

// cldapAttributes are the root DSE attributes asked over UDP: fewer than
// over TCP, to keep the datagram small.
var cldapAttributes = []string{
	"supportedLDAPVersion", "vendorName", "vendorVersion", "namingContexts",
	"supportedCapabilities", "defaultNamingContext", "dnsHostName", "objectClass",
}

// CLDAPRequest is the root DSE search of message 1, as over TCP.
func CLDAPRequest() []byte { return SearchRequest(1, cldapAttributes) }

// ParseCLDAP reads the answer to CLDAPRequest: LDAP messages of ID 1 and
// nothing else, whole, the last a SearchResultDone, read as over TCP.
// Anything else is ErrNoMatch.
func ParseCLDAP(b []byte) (*record.Service, error) {
	rest := b
	var last message
	for len(rest) > 0 {
		m, r, whole, err := nextMessage(rest)
		if err != nil || !whole || m.id != 1 {
			return nil, fingerprint.ErrNoMatch
		}
		last, rest = m, r
	}
	if last.op.tag != appSearchResDone {
		return nil, fingerprint.ErrNoMatch
	}
	return Parse(b)
}

package snmp

import "github.com/ajarsec/ajar/fingerprint"

// probeRequestID is the request-id of the requests a UDP port scan sends
// to port 161: "ajar".
const probeRequestID = 0x616a6172

// sysDescrRequest is a GetRequest for sysDescr.0 alone (RFC 1157 §4, RFC
// 3416 §3) with the community "public":
//
//	Message ::= SEQUENCE { version INTEGER, community OCTET STRING,
//	    GetRequest-PDU ::= [0] IMPLICIT SEQUENCE { request-id INTEGER,
//	        error-status INTEGER (0), error-index INTEGER (0),
//	        variable-bindings SEQUENCE OF SEQUENCE { name OID, value NULL } } }
func sysDescrRequest(version int) []byte {
	vb := tlv(tlv(nil, tagOID, berOID(oidSysDescr)), tagNull, nil)
	pdu := tlv(nil, tagInteger, berInt(probeRequestID))
	pdu = tlv(pdu, tagInteger, berInt(0))
	pdu = tlv(pdu, tagInteger, berInt(0))
	pdu = tlv(pdu, tagSequence, tlv(nil, tagSequence, vb))
	msg := tlv(nil, tagInteger, berInt(int64(version)))
	msg = tlv(msg, tagOctetString, []byte(community))
	msg = tlv(msg, tagGetRequest, pdu)
	return tlv(nil, tagSequence, msg)
}

func init() {
	// Agents drop a message of a version or community they do not take,
	// so a scan sends one of each version.
	fingerprint.RegisterUDPProbe(fingerprint.UDPProbe{
		Name: "snmp", Ports: []uint16{161}, Rarity: 2,
		Datagrams: [][]byte{sysDescrRequest(Version2c), sysDescrRequest(Version1)},
	})
}

package snmp

import (
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/record"
)

// Object identifiers asked for.
const (
	oidSysDescr    = "1.3.6.1.2.1.1.1.0"
	oidSysObjectID = "1.3.6.1.2.1.1.2.0"
	// oidVersionTag is UCD-SNMP-MIB::versionTag.0, net-snmp's own
	// version. It is asked for only in SNMPv2c, where an object the agent
	// lacks fails alone (noSuchObject) rather than the whole request.
	oidVersionTag = "1.3.6.1.4.1.2021.100.2.0"
	// netSNMPPrefix is the net-snmp enterprise (8072): its agents' sysObjectID
	// is netSnmpAgentOIDs (1.3.6.1.4.1.8072.3.2.N).
	netSNMPPrefix     = "1.3.6.1.4.1.8072."
	netSNMPEnterprise = 8072
)

// SNMP message versions on the wire.
const (
	Version1  = 0
	Version2c = 1
	Version3  = 3
)

// GetRequest is a community-based (version Version1 or Version2c) GET of
// sysDescr.0 and sysObjectID.0, and in SNMPv2c of net-snmp's versionTag.0.
func GetRequest(version int, community string, requestID int32) []byte {
	var vbs []byte
	oids := []string{oidSysDescr, oidSysObjectID}
	if version == Version2c {
		oids = append(oids, oidVersionTag)
	}
	for _, oid := range oids {
		vb := tlv(nil, tagOID, berOID(oid))
		vb = tlv(vb, tagNull, nil)
		vbs = tlv(vbs, tagSequence, vb)
	}
	pdu := tlv(nil, tagInteger, berInt(int64(requestID)))
	pdu = tlv(pdu, tagInteger, []byte{0})
	pdu = tlv(pdu, tagInteger, []byte{0})
	pdu = tlv(pdu, tagSequence, vbs)
	msg := tlv(nil, tagInteger, berInt(int64(version)))
	msg = tlv(msg, tagOctetString, []byte(community))
	msg = tlv(msg, tagGetRequest, pdu)
	return tlv(nil, tagSequence, msg)
}

// DiscoveryRequest is the SNMPv3 engine discovery of RFC 3414 section
// 4: a reportable, unauthenticated GET with an empty engine ID and user,
// which an agent answers with a Report carrying its engine ID.
func DiscoveryRequest(msgID int32) []byte {
	header := tlv(nil, tagInteger, berInt(int64(msgID)))
	header = tlv(header, tagInteger, berInt(65507))
	header = tlv(header, tagOctetString, []byte{0x04}) // reportable
	header = tlv(header, tagInteger, []byte{3})        // USM
	usm := tlv(nil, tagOctetString, nil)               // engine ID
	usm = tlv(usm, tagInteger, []byte{0})              // boots
	usm = tlv(usm, tagInteger, []byte{0})              // time
	for range 3 {                                      // user, auth, priv
		usm = tlv(usm, tagOctetString, nil)
	}
	pdu := tlv(nil, tagInteger, berInt(int64(msgID)))
	pdu = tlv(pdu, tagInteger, []byte{0})
	pdu = tlv(pdu, tagInteger, []byte{0})
	pdu = tlv(pdu, tagSequence, nil)
	scoped := tlv(nil, tagOctetString, nil)
	scoped = tlv(scoped, tagOctetString, nil)
	scoped = tlv(scoped, tagGetRequest, pdu)
	msg := tlv(nil, tagInteger, []byte{Version3})
	msg = tlv(msg, tagSequence, header)
	msg = tlv(msg, tagOctetString, tlv(nil, tagSequence, usm))
	msg = tlv(msg, tagSequence, scoped)
	return tlv(nil, tagSequence, msg)
}

// Reply is what an agent answered.
type Reply struct {
	Version int
	// ID is the request-id of a community reply, the msgID of SNMPv3.
	ID          int64
	Community   string
	ErrorStatus int64
	Descr       string
	ObjectID    string
	// AgentVersion is net-snmp's versionTag, when the agent gave it.
	AgentVersion string
	// EngineID is the SNMPv3 authoritative engine ID.
	EngineID []byte
}

// ParseReply reads an SNMP message: a GetResponse to a community request
// or an SNMPv3 message (a discovery Report). Anything else is ErrNoMatch.
func ParseReply(b []byte) (*Reply, error) {
	msg, rest, err := expect(b, tagSequence)
	if err != nil || len(rest) != 0 {
		return nil, errBER
	}
	version, msg, err := integer(msg)
	if err != nil {
		return nil, err
	}
	switch version {
	case Version1, Version2c:
		return parseCommunity(int(version), msg)
	case Version3:
		return parseV3(msg)
	}
	return nil, fingerprint.ErrNoMatch
}

func parseCommunity(version int, msg []byte) (*Reply, error) {
	community, msg, err := expect(msg, tagOctetString)
	if err != nil {
		return nil, err
	}
	pdu, rest, err := expect(msg, tagGetResponse)
	if err != nil || len(rest) != 0 {
		return nil, errBER
	}
	r := &Reply{Version: version, Community: string(community)}
	if err := r.parsePDU(pdu); err != nil {
		return nil, err
	}
	return r, nil
}

// parsePDU reads request-id, error-status, error-index and the variable
// bindings.
func (r *Reply) parsePDU(pdu []byte) error {
	var err error
	if r.ID, pdu, err = integer(pdu); err != nil {
		return err
	}
	if r.ErrorStatus, pdu, err = integer(pdu); err != nil {
		return err
	}
	if _, pdu, err = integer(pdu); err != nil {
		return err
	}
	vbs, _, err := expect(pdu, tagSequence)
	if err != nil {
		return err
	}
	for len(vbs) > 0 {
		var vb []byte
		if vb, vbs, err = expect(vbs, tagSequence); err != nil {
			return err
		}
		oidBytes, vb, err := expect(vb, tagOID)
		if err != nil {
			return err
		}
		oid, ok := oidString(oidBytes)
		if !ok {
			return errBER
		}
		val, _, err := next(vb)
		if err != nil {
			return err
		}
		switch {
		case oid == oidSysDescr && val.Tag == tagOctetString:
			r.Descr = string(val.Contents)
		case oid == oidSysObjectID && val.Tag == tagOID:
			r.ObjectID, _ = oidString(val.Contents)
		case oid == oidVersionTag && val.Tag == tagOctetString && isVersion(val.Contents):
			r.AgentVersion = string(val.Contents)
		}
	}
	return nil
}

func parseV3(msg []byte) (*Reply, error) {
	header, msg, err := expect(msg, tagSequence)
	if err != nil {
		return nil, err
	}
	r := &Reply{Version: Version3}
	if r.ID, _, err = integer(header); err != nil {
		return nil, err
	}
	secParams, msg, err := expect(msg, tagOctetString)
	if err != nil {
		return nil, err
	}
	usm, _, err := expect(secParams, tagSequence)
	if err != nil {
		return nil, err
	}
	engineID, _, err := expect(usm, tagOctetString)
	if err != nil {
		return nil, err
	}
	// An agent's engine ID is 5 to 32 bytes (RFC 3411); our request,
	// echoed, has none.
	if len(engineID) < 5 || len(engineID) > 32 {
		return nil, errBER
	}
	r.EngineID = append([]byte(nil), engineID...)
	// The scoped PDU is in clear (a SEQUENCE holding a Report or a
	// Response) or encrypted (an OCTET STRING).
	e, _, err := next(msg)
	if err != nil {
		return nil, err
	}
	switch e.Tag {
	case tagOctetString:
	case tagSequence:
		_, pdu, err := expect(e.Contents, tagOctetString) // contextEngineID
		if err == nil {
			_, pdu, err = expect(pdu, tagOctetString) // contextName
		}
		if err == nil {
			var p element
			p, _, err = next(pdu)
			if err == nil && p.Tag != tagReport && p.Tag != tagGetResponse {
				err = errBER
			}
		}
		if err != nil {
			return nil, err
		}
	default:
		return nil, errBER
	}
	return r, nil
}

// Enterprise is the IANA enterprise number an engine ID starts with
// (RFC 3411 SnmpEngineID), and whether it has one.
func Enterprise(engineID []byte) (uint32, bool) {
	if len(engineID) < 5 {
		return 0, false
	}
	return binary.BigEndian.Uint32(engineID) &^ 0x80000000, true
}

// Describe turns the replies of one agent (community and SNMPv3, either
// may be nil) into a Service.
func Describe(community, v3 *Reply) *record.Service {
	if community == nil && v3 == nil {
		return nil
	}
	svc := &record.Service{Name: "snmp", Confidence: 10}
	var info []string
	netSNMP := false
	if community != nil {
		if d := strings.TrimSpace(community.Descr); d != "" {
			info = append(info, fingerprint.Printable([]byte(d), 160))
		}
		v := "v1"
		if community.Version == Version2c {
			v = "v2c"
		}
		info = append(info, "SNMP"+v+" community "+strconv.Quote(fingerprint.Printable([]byte(community.Community), 32)))
		netSNMP = strings.HasPrefix(community.ObjectID, netSNMPPrefix)
	}
	if v3 != nil {
		s := "SNMPv3"
		if len(v3.EngineID) > 0 {
			s += " engine " + hex.EncodeToString(v3.EngineID)
		}
		if e, ok := Enterprise(v3.EngineID); ok {
			netSNMP = netSNMP || e == netSNMPEnterprise
		}
		info = append(info, s)
	}
	if netSNMP {
		svc.Product = "net-snmp"
		if community != nil {
			svc.Version = community.AgentVersion
		}
		svc.CPE = []string{fingerprint.CPE("net-snmp", "net-snmp", svc.Version)}
	}
	svc.ExtraInfo = strings.Join(info, "; ")
	return svc
}

// Parse reads one SNMP reply and describes it, for tests.
func Parse(b []byte) (*record.Service, error) {
	r, err := ParseReply(b)
	if err != nil {
		return nil, err
	}
	if r.Version == Version3 {
		return Describe(nil, r), nil
	}
	return Describe(r, nil), nil
}

// isVersion accepts a short dotted version string such as 5.9.3.
func isVersion(b []byte) bool {
	if len(b) == 0 || len(b) > 32 {
		return false
	}
	for _, c := range b {
		if (c < '0' || c > '9') && c != '.' && (c < 'a' || c > 'z') && c != '-' && c != '_' {
			return false
		}
	}
	return b[0] >= '0' && b[0] <= '9'
}

package snmp

import (
	"encoding/hex"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/record"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Captures of net-snmp 5.9.3 snmpd (Debian 12, "rocommunity public
// default -V systemonly") answering GetRequest(Version2c, "public",
// 0x1234), GetRequest(Version1, "public", 0x1235) and
// DiscoveryRequest(0x1236).
const (
	netSNMPv2c = "307802010104067075626c6963a26b02021234020100020100305f304506082b06010201010100" +
		"04394c696e757820766d20362e31382e34342d66632d7635393520233120534d5020505245454d50545f44594e414d4943" +
		"204030207838365f3634301606082b06010201010200060a2b06010401bf0803020a"
	netSNMPv1 = "307802010004067075626c6963a26b02021235020100020100305f304506082b06010201010100" +
		"04394c696e757820766d20362e31382e34342d66632d7635393520233120534d5020505245454d50545f44594e414d4943" +
		"204030207838365f3634301606082b06010201010200060a2b06010401bf0803020a"
	netSNMPv3 = "306d020103300f02021236020300ffe30401000201030421301f041180001f888073186f76a306026b" +
		"000000000201010201040400040004003034041180001f888073186f76a306026b000000000400a81d0202123602010002" +
		"01003011300f060a2b060106030f01010400410102"
	descr = "Linux vm 6.18.44-fc-v595 #1 SMP PREEMPT_DYNAMIC @0 x86_64"
)

// response builds a community GetResponse.
func response(version int, comm string, id int64, descr, objectID string) []byte {
	var vbs []byte
	if descr != "" {
		vbs = tlv(vbs, tagSequence, tlv(tlv(nil, tagOID, berOID(oidSysDescr)), tagOctetString, []byte(descr)))
	}
	if objectID != "" {
		vbs = tlv(vbs, tagSequence, tlv(tlv(nil, tagOID, berOID(oidSysObjectID)), tagOID, berOID(objectID)))
	}
	pdu := tlv(nil, tagInteger, berInt(id))
	pdu = tlv(pdu, tagInteger, []byte{0})
	pdu = tlv(pdu, tagInteger, []byte{0})
	pdu = tlv(pdu, tagSequence, vbs)
	msg := tlv(nil, tagInteger, berInt(int64(version)))
	msg = tlv(msg, tagOctetString, []byte(comm))
	return tlv(nil, tagSequence, tlv(msg, tagGetResponse, pdu))
}

// report builds the SNMPv3 discovery report of the capture for msgID id.
func report(id int64) []byte {
	engine, _ := hex.DecodeString("80001f888073186f76a306026b00000000")
	header := tlv(nil, tagInteger, berInt(id))
	header = tlv(header, tagInteger, berInt(65507))
	header = tlv(header, tagOctetString, []byte{0})
	header = tlv(header, tagInteger, []byte{3})
	usm := tlv(nil, tagOctetString, engine)
	usm = tlv(usm, tagInteger, []byte{1})
	usm = tlv(usm, tagInteger, []byte{4})
	for range 3 {
		usm = tlv(usm, tagOctetString, nil)
	}
	vb := tlv(tlv(nil, tagOID, berOID("1.3.6.1.6.3.15.1.1.4.0")), 0x41, []byte{2})
	pdu := tlv(nil, tagInteger, berInt(id))
	pdu = tlv(pdu, tagInteger, []byte{0})
	pdu = tlv(pdu, tagInteger, []byte{0})
	pdu = tlv(pdu, tagSequence, tlv(nil, tagSequence, vb))
	scoped := tlv(nil, tagOctetString, engine)
	scoped = tlv(scoped, tagOctetString, nil)
	scoped = tlv(scoped, tagReport, pdu)
	msg := tlv(nil, tagInteger, []byte{Version3})
	msg = tlv(msg, tagSequence, header)
	msg = tlv(msg, tagOctetString, tlv(nil, tagSequence, usm))
	msg = tlv(msg, tagSequence, scoped)
	return tlv(nil, tagSequence, msg)
}

func TestRequests(t *testing.T) {
	// SNMPv2c asks for net-snmp's versionTag.0 (1.3.6.1.4.1.2021.100.2.0)
	// too; SNMPv1, where one missing object fails the request, does not.
	if got, want := hex.EncodeToString(GetRequest(Version2c, "public", 0x1234)),
		"304502010104067075626c6963a03802021234020100020100302c300c06082b060102010101000500300c06082b060102010102000500300e060a2b060104018f656402000500"; got != want {
		t.Errorf("GetRequest = %s, want %s", got, want)
	}
	if got, want := hex.EncodeToString(GetRequest(Version1, "public", 0x1234)),
		"303502010004067075626c6963a02802021234020100020100301c300c06082b060102010101000500300c06082b060102010102000500"; got != want {
		t.Errorf("GetRequest v1 = %s, want %s", got, want)
	}
	// An agent's answer with the versionTag gives net-snmp's version.
	vbs := tlv(nil, tagSequence, append(tlv(nil, tagOID, berOID(oidSysDescr)), tlv(nil, tagOctetString, []byte("Linux zoo"))...))
	vbs = tlv(vbs, tagSequence, append(tlv(nil, tagOID, berOID(oidSysObjectID)), tlv(nil, tagOID, berOID("1.3.6.1.4.1.8072.3.2.10"))...))
	vbs = tlv(vbs, tagSequence, append(tlv(nil, tagOID, berOID(oidVersionTag)), tlv(nil, tagOctetString, []byte("5.9.3"))...))
	pdu := tlv(nil, tagInteger, []byte{0x12, 0x34})
	pdu = tlv(pdu, tagInteger, []byte{0})
	pdu = tlv(pdu, tagInteger, []byte{0})
	pdu = tlv(pdu, tagSequence, vbs)
	msg := tlv(nil, tagInteger, []byte{Version2c})
	msg = tlv(msg, tagOctetString, []byte("public"))
	msg = tlv(msg, 0xa2, pdu)
	svc, err := Parse(tlv(nil, tagSequence, msg))
	if err != nil || svc.Product != "net-snmp" || svc.Version != "5.9.3" {
		t.Errorf("versionTag answer: %+v, %v", svc, err)
	}
	if got, want := hex.EncodeToString(report(0x1236)), netSNMPv3; got != want {
		t.Errorf("report = %s, want the capture %s", got, want)
	}
	if got, want := hex.EncodeToString(DiscoveryRequest(0x1236)),
		"303a020103300f02021236020300ffe30401040201030410300e0400020100020100040004000400301204000400a00c020212360201000201003000"; got != want {
		t.Errorf("DiscoveryRequest = %s, want %s", got, want)
	}
	for _, v := range []int64{0, 1, 127, 128, 255, 256, 65507, -1, -129, 1 << 40} {
		r, _, err := integer(tlv(nil, tagInteger, berInt(v)))
		if err != nil || r != v {
			t.Errorf("integer(berInt(%d)) = %d, %v", v, r, err)
		}
	}
	for _, oid := range []string{oidSysDescr, "1.3.6.1.4.1.8072.3.2.10", "2.999.1", "1.3.6.1.4.1.4294967295"} {
		if got, ok := oidString(berOID(oid)); !ok || got != oid {
			t.Errorf("oidString(berOID(%s)) = %s, %v", oid, got, ok)
		}
	}
}

func TestParse(t *testing.T) {
	netsnmp := []string{"cpe:2.3:a:net-snmp:net-snmp:*:*:*:*:*:*:*:*"}
	tests := []struct {
		name string
		in   []byte
		want *record.Service
	}{
		{"net-snmp v2c", unhex(t, netSNMPv2c), &record.Service{Name: "snmp", Product: "net-snmp", CPE: netsnmp, Confidence: 10,
			ExtraInfo: descr + `; SNMPv2c community "public"`}},
		{"net-snmp v1", unhex(t, netSNMPv1), &record.Service{Name: "snmp", Product: "net-snmp", CPE: netsnmp, Confidence: 10,
			ExtraInfo: descr + `; SNMPv1 community "public"`}},
		{"net-snmp v3", unhex(t, netSNMPv3), &record.Service{Name: "snmp", Product: "net-snmp", CPE: netsnmp, Confidence: 10,
			ExtraInfo: "SNMPv3 engine 80001f888073186f76a306026b00000000"}},
		{"cisco", response(Version2c, "public", 7, "Cisco IOS Software, C2960 Software", "1.3.6.1.4.1.9.1.716"), &record.Service{
			Name: "snmp", Confidence: 10, ExtraInfo: `Cisco IOS Software, C2960 Software; SNMPv2c community "public"`}},
		{"no variables", response(Version1, "public", 7, "", ""), &record.Service{
			Name: "snmp", Confidence: 10, ExtraInfo: `SNMPv1 community "public"`}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
	both := Describe(mustReply(t, netSNMPv2c), mustReply(t, netSNMPv3))
	if both.Product != "net-snmp" || both.ExtraInfo != descr+`; SNMPv2c community "public"; SNMPv3 engine 80001f888073186f76a306026b00000000` {
		t.Errorf("Describe(v2c, v3) = %+v", both)
	}
	v2c := unhex(t, netSNMPv2c)
	bad := map[string][]byte{
		"empty":       nil,
		"get request": GetRequest(Version2c, "public", 1),
		"discovery":   DiscoveryRequest(1),
		"empty seq":   {0x30, 0x00},
		"truncated":   v2c[:len(v2c)-1],
		"trailing":    append(append([]byte(nil), v2c...), 0),
		"version 2":   response(2, "public", 1, "x", ""),
		"http":        []byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"),
		"ssh":         []byte("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"),
		"tls alert":   {0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x28},
		"dns":         unhex(t, "1234848000010001000000000776657273696f6e0462696e640000100003"),
		"long length": {0x30, 0x84, 0xff, 0xff, 0xff, 0xff},
	}
	for name, in := range bad {
		if got, err := Parse(in); !errors.Is(err, fingerprint.ErrNoMatch) {
			t.Errorf("%s: Parse = %+v, %v; want ErrNoMatch", name, got, err)
		}
	}
}

func mustReply(t *testing.T, s string) *Reply {
	t.Helper()
	r, err := ParseReply(unhex(t, s))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func FuzzParse(f *testing.F) {
	f.Add(unhex(f, netSNMPv2c))
	f.Add(unhex(f, netSNMPv1))
	f.Add(unhex(f, netSNMPv3))
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
	})
}

// agent plays an SNMP agent: it answers community requests with
// community comm (none when comm is empty) and, when v3, the engine
// discovery, with the net-snmp engine ID of the capture.
func agent(comm string, v3 bool, objectID string) func([]byte) []byte {
	return func(q []byte) []byte {
		msg, _, err := expect(q, tagSequence)
		if err != nil {
			return nil
		}
		version, msg, err := integer(msg)
		if err != nil {
			return nil
		}
		if version == Version3 {
			header, _, err := expect(msg, tagSequence)
			if err != nil || !v3 {
				return nil
			}
			id, _, _ := integer(header)
			return report(id)
		}
		c, msg, err := expect(msg, tagOctetString)
		if err != nil || comm == "" || string(c) != comm {
			return nil
		}
		pdu, _, err := expect(msg, tagGetRequest)
		if err != nil {
			return nil
		}
		id, _, _ := integer(pdu)
		return response(int(version), comm, id, descr, objectID)
	}
}

func TestIdentifyLive(t *testing.T) {
	full := fptest.ServeUDP(t, agent("public", true, "1.3.6.1.4.1.8072.3.2.10"))
	svc := fptest.MustMatch(t, plugin{}, full)
	if svc.Product != "net-snmp" || svc.Confidence != 10 ||
		svc.ExtraInfo != descr+`; SNMPv2c community "public"; SNMPv3 engine 80001f888073186f76a306026b00000000` {
		t.Errorf("net-snmp: got %+v", svc)
	}
	// Another community: only the SNMPv3 discovery is answered.
	private := fptest.ServeUDP(t, agent("private", true, ""))
	if svc := fptest.MustMatch(t, plugin{}, private); svc.Product != "net-snmp" ||
		svc.ExtraInfo != "SNMPv3 engine 80001f888073186f76a306026b00000000" {
		t.Errorf("v3 only: got %+v", svc)
	}
	// No SNMPv3, another vendor.
	cisco := fptest.ServeUDP(t, agent("public", false, "1.3.6.1.4.1.9.1.716"))
	if svc := fptest.MustMatch(t, plugin{}, cisco); svc.Product != "" || svc.ExtraInfo != descr+`; SNMPv2c community "public"` {
		t.Errorf("v2c only: got %+v", svc)
	}
	echo := fptest.ServeUDP(t, func(q []byte) []byte { return q })
	fptest.MustNotMatch(t, plugin{}, echo)
	silent := fptest.ServeUDP(t, func([]byte) []byte { return nil })
	fptest.MustNotMatch(t, plugin{}, silent)
}

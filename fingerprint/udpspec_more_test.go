package fingerprint_test

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

// More of udpspec_test.go: parsers written from each protocol's
// specification, apart from the builders, that read every byte of a
// registered UDP probe back.

// checkQUIC wants a QUIC long-header packet (RFC 8999 §5.1, RFC 9000
// §17.2) of a reserved version (0x?a?a?a?a, RFC 9000 §15), so that any
// server answers with Version Negotiation, with connection IDs of 8 to
// 20 bytes, padded to 1200 bytes (RFC 9000 §14.1).
func checkQUIC(t *testing.T, b []byte) {
	want(t, "length", len(b), 1200)
	r := &reader{t, b}
	first := r.u8()
	want(t, "header form", first>>7, 1)
	want(t, "fixed bit", first>>6&1, 1)
	v := r.u32()
	want(t, "reserved version pattern", v&0x0f0f0f0f, uint32(0x0a0a0a0a))
	dl := int(r.u8())
	if dl < 8 || dl > 20 {
		t.Errorf("destination ID of %d bytes", dl)
	}
	r.bytes(dl)
	sl := int(r.u8())
	if sl > 20 {
		t.Errorf("source ID of %d bytes", sl)
	}
	r.bytes(sl)
	if !bytes.Equal(r.b, make([]byte, len(r.b))) {
		t.Error("padding not zero")
	}
}

// checkMSSQLBrowser wants CLNT_UCAST_EX ([MC-SQLR] §2.2.2): one byte 0x03.
func checkMSSQLBrowser(t *testing.T, b []byte) {
	want(t, "request", string(b), "\x03")
}

// checkXDMCP wants a Query (XDMCP 1.1, "Query"): version 1, opcode 2, a
// length covering the rest, and an ARRAY8Ref of no authentication names.
func checkXDMCP(t *testing.T, b []byte) {
	r := &reader{t, b}
	want(t, "version", r.u16(), 1)
	want(t, "opcode", r.u16(), 2)
	want(t, "length", int(r.u16()), len(b)-6)
	want(t, "authentication names", r.u8(), 0)
	r.end()
}

// checkIPMI wants Get Channel Authentication Capabilities (IPMI v2.0
// §13.6, §22.13) in RMCP (ASF 2.0 §3.2.2.1) without a session: RMCP
// version 6, sequence 0xff, class IPMI; authentication type none,
// sequence and session 0, a length covering the message; the message to
// the BMC (0x20), network function App, from software ID 0x81, command
// 0x38 for this channel (0x0e, v2.0 data bit) at administrator level,
// both checksums making their bytes sum to zero.
func checkIPMI(t *testing.T, b []byte) {
	r := &reader{t, b}
	want(t, "RMCP", r.u32(), 0x0600ff07)
	want(t, "auth type", r.u8(), 0)
	want(t, "session sequence", r.u32(), 0)
	want(t, "session ID", r.u32(), 0)
	want(t, "message length", int(r.u8()), len(r.b))
	msg := r.bytes(len(r.b))
	if len(msg) != 9 {
		t.Fatalf("message of %d bytes", len(msg))
	}
	sum := func(p []byte) (s byte) {
		for _, c := range p {
			s += c
		}
		return s
	}
	want(t, "responder", msg[0], 0x20)
	want(t, "netFn/LUN", msg[1], 0x06<<2)
	want(t, "header checksum", sum(msg[:3]), 0)
	want(t, "requester", msg[3], 0x81)
	want(t, "LUN", msg[4]&3, 0)
	want(t, "command", msg[5], 0x38)
	want(t, "channel", msg[6], 0x8e)
	want(t, "privilege", msg[7], 4)
	want(t, "checksum", sum(msg[3:]), 0)
}

// checkDHT wants a KRPC ping query (BEP 5): a bencoded dictionary of
// sorted keys, a: {id: 20 bytes}, q: "ping", t: a short string, y: "q".
func checkDHT(t *testing.T, b []byte) {
	v, rest := bdecode(t, b)
	want(t, "bytes after the dictionary", len(rest), 0)
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("not a dictionary: %v", v)
	}
	want(t, "keys", len(m), 4)
	a, _ := m["a"].(map[string]any)
	id, _ := a["id"].(string)
	want(t, "a", len(a), 1)
	want(t, "id length", len(id), 20)
	want(t, "q", m["q"], any("ping"))
	want(t, "y", m["y"], any("q"))
	if tx, _ := m["t"].(string); tx == "" || len(tx) > 8 {
		t.Errorf("transaction ID %q", tx)
	}
}

// bdecode reads one bencoded value (BEP 3): strings, integers, lists and
// dictionaries whose keys are sorted strings.
func bdecode(t *testing.T, b []byte) (any, []byte) {
	t.Helper()
	if len(b) == 0 {
		t.Fatal("out of bytes")
	}
	switch {
	case b[0] == 'i':
		end := bytes.IndexByte(b, 'e')
		n, err := strconv.ParseInt(string(b[1:end]), 10, 64)
		if end < 0 || err != nil {
			t.Fatalf("bad integer %q", b)
		}
		return n, b[end+1:]
	case b[0] == 'l' || b[0] == 'd':
		dict := b[0] == 'd'
		var list []any
		m := map[string]any{}
		last := ""
		b = b[1:]
		for len(b) > 0 && b[0] != 'e' {
			var v any
			if dict {
				k, rest := bdecode(t, b)
				key, ok := k.(string)
				if !ok || (len(m) > 0 && key <= last) {
					t.Fatalf("key %v not a string in order", k)
				}
				v, b = bdecode(t, rest)
				m[key], last = v, key
				continue
			}
			v, b = bdecode(t, b)
			list = append(list, v)
		}
		if len(b) == 0 {
			t.Fatal("unclosed")
		}
		if dict {
			return m, b[1:]
		}
		return list, b[1:]
	}
	colon := bytes.IndexByte(b, ':')
	n, err := strconv.Atoi(string(b[:max(colon, 0)]))
	if colon < 1 || err != nil || n < 0 || len(b) < colon+1+n {
		t.Fatalf("bad string %q", b)
	}
	return string(b[colon+1 : colon+1+n]), b[colon+1+n:]
}

// checkCLDAP wants an LDAPMessage (RFC 4511 §4.2, §4.5.1) that RFC 1798
// and [MS-ADTS] §6.3.3 carry over UDP: a message ID, then a base-object
// SearchRequest of the root DSE ("" base, scope 0, never deref, no
// limits, types and values, the filter (objectClass=*)) for a list of
// attribute names.
func checkCLDAP(t *testing.T, b []byte) {
	r := &reader{t, b}
	msg := berSeq(t, berRead(t, r), 0x30)
	r.end()
	if len(msg) != 2 {
		t.Fatalf("%d elements in LDAPMessage", len(msg))
	}
	if berInt(t, msg[0]) < 1 {
		t.Error("message ID below 1")
	}
	req := berSeq(t, msg[1], 0x63) // [APPLICATION 3]
	if len(req) != 8 {
		t.Fatalf("%d elements in SearchRequest", len(req))
	}
	want(t, "baseObject", string(req[0].value), "")
	wantTLV(t, "scope", req[1], 0x0a, "\x00")
	wantTLV(t, "derefAliases", req[2], 0x0a, "\x00")
	want(t, "sizeLimit", berInt(t, req[3]), 0)
	want(t, "timeLimit", berInt(t, req[4]), 0)
	wantTLV(t, "typesOnly", req[5], 0x01, "\x00")
	wantTLV(t, "filter", req[6], 0x87, "objectClass")
	attrs := berSeq(t, req[7], 0x30)
	if len(attrs) == 0 {
		t.Error("no attributes asked")
	}
	for _, a := range attrs {
		want(t, "attribute tag", a.tag, 0x04)
	}
}

// wantTLV checks an element's tag and value.
func wantTLV(t *testing.T, what string, got tlv, tag byte, value string) {
	t.Helper()
	if got.tag != tag || string(got.value) != value {
		t.Errorf("%s = %#x %q, want %#x %q", what, got.tag, got.value, tag, value)
	}
}

// checkBACnet wants a confirmed ReadProperty (ASHRAE 135 Annex J.2,
// §6.2, §20.1.2, §15.5): BVLC type 0x81, Original-Unicast-NPDU, the
// datagram's length; NPDU version 1 expecting a reply, no addresses; an
// unsegmented confirmed request taking up to 1476 bytes, ReadProperty
// (12), of context tag 0, the device object with the wildcard instance
// 4194303, and context tag 1, the model-name property (70).
func checkBACnet(t *testing.T, b []byte) {
	r := &reader{t, b}
	want(t, "BVLC type", r.u8(), 0x81)
	want(t, "BVLC function", r.u8(), 0x0a)
	want(t, "BVLC length", int(r.u16()), len(b))
	want(t, "NPDU version", r.u8(), 1)
	want(t, "NPDU control", r.u8(), 0x04)
	want(t, "PDU type and flags", r.u8(), 0x00)
	want(t, "max APDU", r.u8()&0x0f, 5)
	r.u8() // invoke ID
	want(t, "service", r.u8(), 12)
	want(t, "context tag 0, 4 bytes", r.u8(), 0x0c)
	oid := r.u32()
	want(t, "object type", oid>>22, 8)
	want(t, "instance", oid&0x3fffff, 4194303)
	want(t, "context tag 1, 1 byte", r.u8(), 0x19)
	want(t, "property", r.u8(), 70)
	r.end()
}

// checkQuake3 wants Quake III's connectionless getinfo: four 0xff bytes,
// "getinfo", a space and a challenge of letters and digits.
func checkQuake3(t *testing.T, b []byte) {
	r := &reader{t, b}
	want(t, "prefix", string(r.bytes(4)), "\xff\xff\xff\xff")
	want(t, "command", string(r.bytes(8)), "getinfo ")
	if len(r.b) == 0 || len(r.b) > 32 || strings.Trim(string(r.b), "abcdefghijklmnopqrstuvwxyz0123456789") != "" {
		t.Errorf("challenge %q", r.b)
	}
}

// checkA2S wants A2S_INFO (Valve's "Server queries") without a challenge:
// four 0xff bytes, 'T', "Source Engine Query" and a NUL.
func checkA2S(t *testing.T, b []byte) {
	want(t, "A2S_INFO", string(b), "\xff\xff\xff\xffTSource Engine Query\x00")
}

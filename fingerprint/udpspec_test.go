package fingerprint_test

import (
	"bytes"
	"encoding/asn1"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/ajarsec/ajar/fingerprint"
)

// The parsers below are written from each protocol's specification, apart
// from the builders in each fingerprint/<proto> package, and read every
// byte of every registered UDP probe back: what a UDP scan sends. The
// table of checks and the tests that run them are in udpprobe_test.go.

// reader reads big-endian fields and fails the test when bytes run out.
type reader struct {
	t *testing.T
	b []byte
}

func (r *reader) bytes(n int) []byte {
	r.t.Helper()
	if len(r.b) < n {
		r.t.Fatalf("wanted %d more bytes, have %d", n, len(r.b))
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}
func (r *reader) u8() uint8   { r.t.Helper(); return r.bytes(1)[0] }
func (r *reader) u16() uint16 { r.t.Helper(); return binary.BigEndian.Uint16(r.bytes(2)) }
func (r *reader) u32() uint32 { r.t.Helper(); return binary.BigEndian.Uint32(r.bytes(4)) }
func (r *reader) end() {
	r.t.Helper()
	if len(r.b) != 0 {
		r.t.Errorf("%d bytes left over: % x", len(r.b), r.b)
	}
}

func want[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// dnsQuestion parses a DNS message with one question and nothing else
// (RFC 1035 §4.1.1, §4.1.2).
func dnsQuestion(t *testing.T, b []byte) (flags uint16, name string, qtype, qclass uint16) {
	r := &reader{t, b}
	if r.u16() == 0 {
		t.Error("ID 0")
	}
	flags = r.u16()
	want(t, "QDCOUNT", r.u16(), 1)
	want(t, "ANCOUNT", r.u16(), 0)
	want(t, "NSCOUNT", r.u16(), 0)
	want(t, "ARCOUNT", r.u16(), 0)
	var labels []string
	for {
		n := int(r.u8())
		if n == 0 {
			break
		}
		if n > 63 {
			t.Fatalf("label length %d: a compression pointer or worse", n)
		}
		labels = append(labels, string(r.bytes(n)))
	}
	qtype, qclass = r.u16(), r.u16()
	r.end()
	return flags, strings.Join(labels, "."), qtype, qclass
}

func checkDNS(t *testing.T, b []byte) {
	flags, name, qtype, qclass := dnsQuestion(t, b)
	want(t, "QR", flags>>15, 0)
	want(t, "OPCODE", flags>>11&0xf, 0)
	want(t, "QNAME", name, "version.bind")
	want(t, "QTYPE", qtype, 16)  // TXT
	want(t, "QCLASS", qclass, 3) // CH
}

func checkMDNS(t *testing.T, b []byte) {
	flags, name, qtype, qclass := dnsQuestion(t, b)
	want(t, "flags", flags, 0)
	want(t, "QNAME", name, "_services._dns-sd._udp.local")
	want(t, "QTYPE", qtype, 12) // PTR
	want(t, "QCLASS", qclass&0x7fff, 1)
}

func checkNTP(t *testing.T, b []byte) {
	want(t, "length", len(b), 48)
	want(t, "LI", b[0]>>6, 0)
	want(t, "VN", b[0]>>3&7, 4)
	want(t, "Mode", b[0]&7, 3) // client
	if binary.BigEndian.Uint64(b[40:]) == 0 {
		t.Error("transmit timestamp is zero")
	}
	if !bytes.Equal(b[1:40], make([]byte, 39)) {
		t.Errorf("bytes 1-39 not zero: % x", b[1:40])
	}
}

func checkNetBIOS(t *testing.T, b []byte) {
	r := &reader{t, b}
	r.u16() // NAME_TRN_ID
	want(t, "flags", r.u16(), 0)
	want(t, "QDCOUNT", r.u16(), 1)
	want(t, "ANCOUNT", r.u16(), 0)
	want(t, "NSCOUNT", r.u16(), 0)
	want(t, "ARCOUNT", r.u16(), 0)
	want(t, "name length", r.u8(), 32)
	enc := r.bytes(32)
	var name []byte
	for i := 0; i < 32; i += 2 {
		hi, lo := enc[i]-'A', enc[i+1]-'A'
		if hi > 15 || lo > 15 {
			t.Fatalf("not first-level encoding: %q", enc)
		}
		name = append(name, hi<<4|lo)
	}
	want(t, "name", string(name), "*"+strings.Repeat("\x00", 15))
	want(t, "scope", r.u8(), 0)
	want(t, "QUESTION_TYPE", r.u16(), 0x21)  // NBSTAT
	want(t, "QUESTION_CLASS", r.u16(), 0x01) // IN
	r.end()
}

// tlv is one BER element (X.690 §8.1) with definite length.
type tlv struct {
	tag   byte
	value []byte
}

func berRead(t *testing.T, r *reader) tlv {
	t.Helper()
	tag := r.u8()
	n := int(r.u8())
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > 2 {
			t.Fatalf("length form %#x", n)
		}
		n = 0
		for _, c := range r.bytes(k) {
			n = n<<8 | int(c)
		}
	}
	return tlv{tag, r.bytes(n)}
}

func berSeq(t *testing.T, v tlv, tag byte) []tlv {
	t.Helper()
	if v.tag != tag {
		t.Fatalf("tag %#x, want %#x", v.tag, tag)
	}
	r := &reader{t, v.value}
	var out []tlv
	for len(r.b) > 0 {
		out = append(out, berRead(t, r))
	}
	return out
}

func berInt(t *testing.T, v tlv) int64 {
	t.Helper()
	if v.tag != 0x02 || len(v.value) == 0 || len(v.value) > 8 {
		t.Fatalf("not an INTEGER: %#x % x", v.tag, v.value)
	}
	n := int64(int8(v.value[0]))
	for _, c := range v.value[1:] {
		n = n<<8 | int64(c)
	}
	return n
}

func berOIDString(t *testing.T, v tlv) string {
	t.Helper()
	if v.tag != 0x06 || len(v.value) == 0 {
		t.Fatalf("not an OID: %#x", v.tag)
	}
	arcs := []string{strconv.Itoa(int(v.value[0]) / 40), strconv.Itoa(int(v.value[0]) % 40)}
	n := 0
	for _, c := range v.value[1:] {
		n = n<<7 | int(c&0x7f)
		if c&0x80 == 0 {
			arcs = append(arcs, strconv.Itoa(n))
			n = 0
		}
	}
	return strings.Join(arcs, ".")
}

func checkSNMP(t *testing.T, b []byte, version int64) {
	r := &reader{t, b}
	msg := berSeq(t, berRead(t, r), 0x30)
	r.end()
	if len(msg) != 3 {
		t.Fatalf("message has %d elements, want 3", len(msg))
	}
	want(t, "version", berInt(t, msg[0]), version)
	want(t, "community tag", msg[1].tag, 0x04)
	want(t, "community", string(msg[1].value), "public")
	pdu := berSeq(t, msg[2], 0xa0) // GetRequest-PDU
	if len(pdu) != 4 {
		t.Fatalf("PDU has %d elements, want 4", len(pdu))
	}
	berInt(t, pdu[0]) // request-id
	want(t, "error-status", berInt(t, pdu[1]), 0)
	want(t, "error-index", berInt(t, pdu[2]), 0)
	binds := berSeq(t, pdu[3], 0x30)
	if len(binds) != 1 {
		t.Fatalf("%d variable bindings, want 1", len(binds))
	}
	vb := berSeq(t, binds[0], 0x30)
	if len(vb) != 2 {
		t.Fatalf("binding has %d elements, want 2", len(vb))
	}
	want(t, "name", berOIDString(t, vb[0]), "1.3.6.1.2.1.1.1.0") // sysDescr.0
	want(t, "value tag", vb[1].tag, 0x05)                        // NULL
	want(t, "value length", len(vb[1].value), 0)
}

func TestSNMPBytes(t *testing.T) {
	// SNMPv1 GetRequest sysDescr.0, community public, request-id "ajar",
	// encoded by hand from RFC 1157 §4 and X.690.
	v1 := []byte{
		0x30, 0x29, // Message SEQUENCE, 41 bytes
		0x02, 0x01, 0x00, // version 0 (v1)
		0x04, 0x06, 'p', 'u', 'b', 'l', 'i', 'c', // community
		0xa0, 0x1c, // GetRequest-PDU, 28 bytes
		0x02, 0x04, 0x61, 0x6a, 0x61, 0x72, // request-id
		0x02, 0x01, 0x00, // error-status
		0x02, 0x01, 0x00, // error-index
		0x30, 0x0e, // VarBindList
		0x30, 0x0c, // VarBind
		0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00, // 1.3.6.1.2.1.1.1.0
		0x05, 0x00, // NULL
	}
	v2c := bytes.Clone(v1)
	v2c[4] = 1
	ds, _ := fingerprint.UDPPayload(161)
	if len(ds) != 2 || !bytes.Equal(ds[0], v2c) || !bytes.Equal(ds[1], v1) {
		t.Errorf("port 161:\n got % x\nwant % x\n     % x", ds, v2c, v1)
	}
}

// ikeMessage parses the IKE/ISAKMP header and returns the first payload
// type and the body.
func ikeMessage(t *testing.T, b []byte, version, exchange, flags byte) (next byte, body []byte) {
	r := &reader{t, b}
	if bytes.Equal(r.bytes(8), make([]byte, 8)) {
		t.Error("initiator SPI is zero")
	}
	if !bytes.Equal(r.bytes(8), make([]byte, 8)) {
		t.Error("responder SPI is not zero")
	}
	next = r.u8()
	want(t, "version", r.u8(), version)
	want(t, "exchange type", r.u8(), exchange)
	want(t, "flags", r.u8(), flags)
	want(t, "message ID", r.u32(), 0)
	want(t, "length", int(r.u32()), len(b))
	return next, r.b
}

// ikeChain walks a chain of generic payload headers and returns the
// payloads' types and bodies.
func ikeChain(t *testing.T, first byte, b []byte) (types []byte, bodies [][]byte) {
	r := &reader{t, b}
	for next := first; next != 0; {
		types = append(types, next)
		next = r.u8()
		r.u8() // critical bit and reserved
		n := int(r.u16())
		if n < 4 {
			t.Fatalf("payload length %d", n)
		}
		bodies = append(bodies, r.bytes(n-4))
	}
	r.end()
	return types, bodies
}

func checkIKEv2(t *testing.T, b []byte) {
	next, body := ikeMessage(t, b, 0x20, 34, 0x08) // IKE_SA_INIT, Initiator
	types, bodies := ikeChain(t, next, body)
	if !bytes.Equal(types, []byte{33, 34, 40}) { // SA, KE, Nonce
		t.Fatalf("payloads %v, want SA, KE, Nonce", types)
	}
	// SA: one proposal (RFC 7296 §3.3.1).
	r := &reader{t, bodies[0]}
	want(t, "last proposal", r.u8(), 0)
	r.u8()
	want(t, "proposal length", int(r.u16()), len(bodies[0]))
	want(t, "proposal number", r.u8(), 1)
	want(t, "protocol", r.u8(), 1) // IKE
	want(t, "SPI size", r.u8(), 0)
	want(t, "transforms", r.u8(), 4)
	got := map[byte]uint16{}
	for i := range 4 {
		more := r.u8()
		if wantMore := byte(3); i == 3 {
			want(t, "last transform", more, 0)
		} else {
			want(t, "more transforms", more, wantMore)
		}
		r.u8()
		n := int(r.u16())
		tr := &reader{t, r.bytes(n - 4)}
		typ := tr.u8()
		tr.u8()
		got[typ] = tr.u16()
		if typ == 1 { // ENCR: a Key Length attribute, TV form
			want(t, "key length attribute", tr.u16(), 0x800e)
			want(t, "key length", tr.u16(), 128)
		}
		tr.end()
	}
	r.end()
	want(t, "ENCR", got[1], 12)  // AES-CBC
	want(t, "PRF", got[2], 5)    // HMAC-SHA2-256
	want(t, "INTEG", got[3], 12) // HMAC-SHA2-256-128
	want(t, "D-H", got[4], 14)
	// KE for group 14 (§3.4): 256 bytes, below the prime.
	r = &reader{t, bodies[1]}
	want(t, "KE group", r.u16(), 14)
	want(t, "KE reserved", r.u16(), 0)
	ke := r.bytes(256)
	r.end()
	if ke[0] == 0xff || ke[0] == 0 {
		t.Errorf("KE data starts %#x", ke[0])
	}
	if n := len(bodies[2]); n < 16 || n > 256 {
		t.Errorf("nonce of %d bytes", n)
	}
}

func checkNATT(t *testing.T, b []byte) {
	if !bytes.Equal(b[:4], []byte{0, 0, 0, 0}) {
		t.Fatalf("no non-ESP marker: % x", b[:4])
	}
	checkIKEv2(t, b[4:])
}

func checkIKEv1(t *testing.T, b []byte) {
	next, body := ikeMessage(t, b, 0x10, 2, 0) // Main Mode
	types, bodies := ikeChain(t, next, body)
	if !bytes.Equal(types, []byte{1}) {
		t.Fatalf("payloads %v, want SA", types)
	}
	r := &reader{t, bodies[0]}
	want(t, "DOI", r.u32(), 1)       // IPsec
	want(t, "situation", r.u32(), 1) // SIT_IDENTITY_ONLY
	ptypes, props := ikeChain(t, 2, r.b)
	if len(ptypes) != 1 {
		t.Fatalf("%d proposals", len(ptypes))
	}
	r = &reader{t, props[0]}
	want(t, "proposal number", r.u8(), 1)
	want(t, "protocol", r.u8(), 1) // PROTO_ISAKMP
	want(t, "SPI size", r.u8(), 0)
	want(t, "transforms", r.u8(), 1)
	ttypes, trans := ikeChain(t, 3, r.b)
	if len(ttypes) != 1 {
		t.Fatalf("%d transforms", len(ttypes))
	}
	r = &reader{t, trans[0]}
	want(t, "transform number", r.u8(), 1)
	want(t, "transform ID", r.u8(), 1) // KEY_IKE
	want(t, "reserved", r.u16(), 0)
	attrs := map[uint16]uint16{}
	for len(r.b) > 0 {
		typ := r.u16()
		if typ&0x8000 == 0 {
			t.Fatalf("attribute %d in TLV form", typ)
		}
		attrs[typ&0x7fff] = r.u16()
	}
	for typ, v := range map[uint16]uint16{1: 5, 2: 2, 3: 1, 4: 2, 11: 1, 12: 28800} {
		want(t, fmt.Sprintf("attribute %d", typ), attrs[typ], v)
	}
	want(t, "attributes", len(attrs), 6)
}

func checkOpenVPN(t *testing.T, b []byte) {
	r := &reader{t, b}
	op := r.u8()
	want(t, "opcode", op>>3, 7) // P_CONTROL_HARD_RESET_CLIENT_V2
	want(t, "key ID", op&7, 0)
	if bytes.Equal(r.bytes(8), make([]byte, 8)) {
		t.Error("session ID is zero")
	}
	want(t, "ACK array length", r.u8(), 0)
	want(t, "packet ID", r.u32(), 0)
	r.end()
}

// httpLike splits a request line and headers, all lines ending in CRLF and
// an empty line, and returns the body after it.
func httpLike(t *testing.T, b []byte) (start string, headers map[string]string, body string) {
	head, body, ok := strings.Cut(string(b), "\r\n\r\n")
	if !ok {
		t.Fatalf("no empty line: %q", b)
	}
	lines := strings.Split(head, "\r\n")
	headers = map[string]string{}
	for _, l := range lines[1:] {
		k, v, ok := strings.Cut(l, ":")
		if !ok || strings.ContainsAny(l, "\r\n") {
			t.Fatalf("bad header line %q", l)
		}
		headers[strings.ToLower(k)] = strings.TrimSpace(v)
	}
	return lines[0], headers, body
}

func checkSSDP(t *testing.T, b []byte) {
	start, h, body := httpLike(t, b)
	want(t, "request line", start, "M-SEARCH * HTTP/1.1")
	want(t, "HOST", h["host"], "239.255.255.250:1900")
	want(t, "MAN", h["man"], `"ssdp:discover"`)
	if mx, err := strconv.Atoi(h["mx"]); err != nil || mx < 1 || mx > 5 {
		t.Errorf("MX %q, want 1 to 5", h["mx"])
	}
	want(t, "ST", h["st"], "ssdp:all")
	want(t, "body", body, "")
}

func checkSIP(t *testing.T, b []byte) {
	start, h, body := httpLike(t, b)
	method, rest, _ := strings.Cut(start, " ")
	uri, version, _ := strings.Cut(rest, " ")
	want(t, "method", method, "OPTIONS")
	if !strings.HasPrefix(uri, "sip:") {
		t.Errorf("Request-URI %q", uri)
	}
	want(t, "version", version, "SIP/2.0")
	via := h["via"]
	if !strings.HasPrefix(via, "SIP/2.0/UDP ") || !strings.Contains(via, ";branch=z9hG4bK") || !strings.Contains(via, ";rport") {
		t.Errorf("Via %q: want SIP/2.0/UDP, a branch with the magic cookie, rport", via)
	}
	for _, k := range []string{"to", "from", "call-id", "cseq", "max-forwards"} {
		if h[k] == "" {
			t.Errorf("no %s header", k)
		}
	}
	if !strings.Contains(h["from"], ";tag=") {
		t.Errorf("From %q has no tag", h["from"])
	}
	want(t, "CSeq", h["cseq"], "1 OPTIONS")
	want(t, "Content-Length", h["content-length"], strconv.Itoa(len(body)))
}

func checkMemcached(t *testing.T, b []byte) {
	r := &reader{t, b}
	r.u16() // request ID
	want(t, "sequence number", r.u16(), 0)
	want(t, "datagrams", r.u16(), 1)
	want(t, "reserved", r.u16(), 0)
	want(t, "command", string(r.b), "version\r\n")
}

func checkTFTP(t *testing.T, b []byte) {
	r := &reader{t, b}
	want(t, "opcode", r.u16(), 1) // RRQ
	file, rest, ok := bytes.Cut(r.b, []byte{0})
	if !ok || len(file) == 0 {
		t.Fatalf("no filename: %q", r.b)
	}
	mode, rest, ok := bytes.Cut(rest, []byte{0})
	if !ok || !strings.EqualFold(string(mode), "octet") {
		t.Errorf("mode %q", mode)
	}
	want(t, "after the mode", len(rest), 0)
}

func checkSTUN(t *testing.T, b []byte) {
	r := &reader{t, b}
	typ := r.u16()
	want(t, "type", typ, 0x0001) // Binding request; top two bits zero
	want(t, "length", int(r.u16()), len(b)-20)
	want(t, "magic cookie", r.u32(), 0x2112a442)
	r.bytes(12) // transaction ID
	r.end()
}

func checkNATPMP(t *testing.T, b []byte) {
	want(t, "request", string(b), "\x00\x00") // version 0, opcode 0
}

func checkRPCNull(t *testing.T, d []byte) {
	if len(d) != 40 {
		t.Fatalf("%d bytes, want 40", len(d))
	}
	words := make([]uint32, 10)
	for i := range words {
		words[i] = binary.BigEndian.Uint32(d[4*i:])
	}
	want(t, "call", words[1], uint32(0))
	want(t, "rpc version", words[2], uint32(2))
	want(t, "program", words[3], uint32(100000))
	want(t, "program version", words[4], uint32(2))
	want(t, "procedure", words[5], uint32(0))
	for i := 6; i < 10; i++ {
		want(t, fmt.Sprint("auth word ", i), words[i], uint32(0))
	}
}

// checkKerberos wants an AS-REQ (RFC 4120 5.4.1): [APPLICATION 10], a
// SEQUENCE with pvno 5 and msg-type 10, read with encoding/asn1.
func checkKerberos(t *testing.T, b []byte) {
	var app asn1.RawValue
	rest, err := asn1.Unmarshal(b, &app)
	if err != nil || len(rest) != 0 || app.Class != asn1.ClassApplication || app.Tag != 10 {
		t.Fatalf("not an [APPLICATION 10]: %v, %d bytes left, %+v", err, len(rest), app)
	}
	var req struct {
		Pvno    int           `asn1:"explicit,tag:1"`
		MsgType int           `asn1:"explicit,tag:2"`
		Body    asn1.RawValue `asn1:"explicit,tag:4"`
	}
	if _, err := asn1.Unmarshal(app.Bytes, &req); err != nil {
		t.Fatal(err)
	}
	want(t, "pvno", req.Pvno, 5)
	want(t, "msg-type", req.MsgType, 10)
}

// checkMumble wants Mumble's UDP ping: four zero bytes and an eight-byte
// identifier.
func checkMumble(t *testing.T, b []byte) {
	want(t, "length", len(b), 12)
	want(t, "zeros", string(b[:4]), "\x00\x00\x00\x00")
}

// checkAnyDatagram: daytime, time and chargen over UDP (RFC 867, 868,
// 864) answer any datagram, whose content the server ignores; a short
// one, not empty (some stacks drop empty datagrams).
func checkAnyDatagram(t *testing.T, b []byte) {
	if len(b) == 0 || len(b) > 4 {
		t.Errorf("%d bytes, want a short datagram", len(b))
	}
}

// checkCoAP wants a CoAP request (RFC 7252 3): version 1, confirmable,
// code 0.01 GET, a token of its stated length, and no payload marker.
func checkCoAP(t *testing.T, b []byte) {
	r := &reader{t, b}
	h := r.u8()
	want(t, "version", h>>6, 1)
	want(t, "type", h>>4&3, 0)
	want(t, "code", r.u8(), 1)
	r.u16() // message ID
	r.bytes(int(h & 0x0f))
	r.end()
}

// checkL2TP wants an SCCRQ (RFC 2661 3.1, 6.1): a control message of
// version 2 with its length, tunnel and session 0, whose first AVP is the
// mandatory Message Type 1, and an Assigned Tunnel ID among the rest.
func checkL2TP(t *testing.T, b []byte) {
	r := &reader{t, b}
	want(t, "flags and version", r.u16(), 0xc802)
	want(t, "length", int(r.u16()), len(b))
	want(t, "tunnel", r.u16(), 0)
	want(t, "session", r.u16(), 0)
	r.u32() // Ns, Nr
	want(t, "first AVP", string(r.bytes(8)), "\x80\x08\x00\x00\x00\x00\x00\x01")
	if !bytes.Contains(b, []byte{0x80, 0x08, 0, 0, 0, 9}) {
		t.Error("no Assigned Tunnel ID")
	}
}

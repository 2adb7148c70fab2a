package ber

import (
	"bytes"
	"errors"
	"testing"
)

// The examples are X.690's own (§8.1.3, §8.3, §8.19) and an SNMP GET
// encoded by hand from RFC 1157 §4.

func TestInt(t *testing.T) {
	for _, c := range []struct {
		v    int64
		want []byte
	}{
		{0, []byte{0x00}},
		{127, []byte{0x7f}},
		{128, []byte{0x00, 0x80}}, // a leading zero keeps it positive
		{256, []byte{0x01, 0x00}},
		{-128, []byte{0x80}},
		{-129, []byte{0xff, 0x7f}},
		{0x616a6172, []byte{0x61, 0x6a, 0x61, 0x72}},
		{-1 << 63, []byte{0x80, 0, 0, 0, 0, 0, 0, 0}},
	} {
		got := Int(c.v)
		if !bytes.Equal(got, c.want) {
			t.Errorf("Int(%d) = % x, want % x", c.v, got, c.want)
		}
		back, err := ParseInt(got)
		if err != nil || back != c.v {
			t.Errorf("ParseInt(% x) = %d, %v", got, back, err)
		}
	}
	for _, bad := range [][]byte{nil, make([]byte, 9)} {
		if _, err := ParseInt(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseInt(% x): %v, want ErrMalformed", bad, err)
		}
	}
}

func TestLength(t *testing.T) {
	for _, c := range []struct {
		n    int
		head []byte
	}{
		{0, []byte{0x04, 0x00}},
		{38, []byte{0x04, 0x26}},
		{127, []byte{0x04, 0x7f}},
		{128, []byte{0x04, 0x81, 0x80}},
		{201, []byte{0x04, 0x81, 0xc9}}, // X.690 §8.1.3.5's example
		{256, []byte{0x04, 0x82, 0x01, 0x00}},
		{70000, []byte{0x04, 0x83, 0x01, 0x11, 0x70}},
	} {
		content := bytes.Repeat([]byte{'x'}, c.n)
		got := TLV(TagOctetString, content[:c.n/2], content[c.n/2:])
		if !bytes.Equal(got[:len(c.head)], c.head) || len(got) != len(c.head)+c.n {
			t.Errorf("length %d: head % x, want % x", c.n, got[:min(len(got), len(c.head))], c.head)
		}
		e, rest, err := Next(got)
		if err != nil || e.Tag != TagOctetString || len(e.Contents) != c.n || len(rest) != 0 {
			t.Errorf("length %d: Next = %+v, %d left, %v", c.n, e.Tag, len(rest), err)
		}
	}
}

func TestOID(t *testing.T) {
	for _, c := range []struct {
		dotted string
		want   []byte
	}{
		{"2.100.3", []byte{0x81, 0x34, 0x03}}, // X.690 §8.19.5
		{"1.3.6.1.2.1.1.1.0", []byte{0x2b, 6, 1, 2, 1, 1, 1, 0}},
		{"1.3.6.1.4.1.8072.3.2.10", []byte{0x2b, 6, 1, 4, 1, 0xbf, 0x08, 3, 2, 10}},
		{"1.2.840.113549", []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d}},
		{"0.39", []byte{39}},
		{"1.3.4294967295", []byte{0x2b, 0x8f, 0xff, 0xff, 0xff, 0x7f}},
	} {
		got := MustOID(c.dotted)
		if !bytes.Equal(got, c.want) {
			t.Errorf("%s: % x, want % x", c.dotted, got, c.want)
		}
		back, err := OIDString(got)
		if err != nil || back != c.dotted {
			t.Errorf("OIDString(% x) = %q, %v, want %s", got, back, err, c.dotted)
		}
	}
	for _, bad := range [][]byte{nil, {0x2b, 0x86}, {0x2b, 0x90, 0x80, 0x80, 0x80, 0x00}, bytes.Repeat([]byte{1}, 200)} {
		if s, err := OIDString(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("OIDString(% x) = %q, %v, want ErrMalformed", bad, s, err)
		}
	}
	for _, bad := range []string{"1", "3.1", "1.40", "1.x", "1.3.4294967296"} {
		if _, err := ParseOID(bad); err == nil {
			t.Errorf("ParseOID(%q): no error", bad)
		}
	}
}

// snmpGet is an SNMPv1 GetRequest of sysDescr.0, community public,
// request-id "ajar", encoded by hand from RFC 1157 §4 and X.690.
var snmpGet = []byte{
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

func TestEncodeMessage(t *testing.T) {
	vb := TLV(TagSequence, TLV(TagOID, MustOID("1.3.6.1.2.1.1.1.0")), TLV(TagNull))
	pdu := TLV(0xa0, Integer(0x616a6172), Integer(0), Integer(0), TLV(TagSequence, vb))
	got := TLV(TagSequence, Integer(0), OctetString("public"), pdu)
	if !bytes.Equal(got, snmpGet) {
		t.Errorf("\n got % x\nwant % x", got, snmpGet)
	}
}

func TestDecodeMessage(t *testing.T) {
	msg, rest, err := Expect(snmpGet, TagSequence)
	if err != nil || len(rest) != 0 {
		t.Fatal(err, rest)
	}
	kids, err := Children(msg, 8)
	if err != nil || len(kids) != 3 {
		t.Fatalf("%d children, %v", len(kids), err)
	}
	if v, err := ParseInt(kids[0].Contents); err != nil || v != 0 {
		t.Errorf("version %d, %v", v, err)
	}
	if string(kids[1].Contents) != "public" || kids[2].Tag != 0xa0 {
		t.Errorf("children %+v", kids)
	}
	id, after, err := ReadInt(kids[2].Contents)
	if err != nil || id != 0x616a6172 || len(after) != 22 {
		t.Errorf("request-id %#x, %v", id, err)
	}
	if _, err := Children(msg, 2); !errors.Is(err, ErrMalformed) {
		t.Errorf("three children under a bound of two: %v", err)
	}
	// Every cut of the message is short, never malformed, never a panic.
	for i := range len(snmpGet) {
		if _, _, err := Next(snmpGet[:i]); !errors.Is(err, ErrShort) {
			t.Errorf("first %d bytes: %v, want ErrShort", i, err)
		}
	}
	for _, bad := range [][]byte{{0x1f, 0x01, 0x00}, {0x30, 0x80, 0, 0}, {0x30, 0x85, 1, 1, 1, 1, 1}, {0x04, 0x84, 0x7f, 0xff, 0xff, 0xff}} {
		if _, _, err := Next(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("% x: %v, want ErrMalformed", bad, err)
		}
	}
	if _, _, err := Expect(snmpGet, TagSet); !errors.Is(err, ErrMalformed) {
		t.Errorf("wrong tag: %v", err)
	}
}

// FuzzDecode: Next never reads past its input, and what it splits off
// encodes back to the same bytes when the length was in its shortest form.
func FuzzDecode(f *testing.F) {
	f.Add(snmpGet)
	f.Add([]byte{0x04, 0x81, 0x80})
	f.Add([]byte{0x06, 0x03, 0x81, 0x34, 0x03})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, rest, err := Next(b)
		if err != nil {
			return
		}
		used := len(b) - len(rest)
		if used < 2+len(e.Contents) || used > len(b) {
			t.Fatalf("used %d of %d for %d contents", used, len(b), len(e.Contents))
		}
		if again := TLV(e.Tag, e.Contents); len(again) == used && !bytes.Equal(again, b[:used]) {
			t.Errorf("re-encoded % x, was % x", again, b[:used])
		}
		// An OID without non-minimal arcs (a byte 0x80 opens one)
		// renders and encodes back to the same bytes.
		if e.Tag == TagOID && !bytes.Contains(e.Contents, []byte{0x80}) {
			if s, err := OIDString(e.Contents); err == nil {
				arcs, perr := ParseOID(s)
				if perr != nil || !bytes.Equal(OID(arcs...), e.Contents) {
					t.Errorf("OID % x renders %q, back % x (%v)", e.Contents, s, OID(arcs...), perr)
				}
			}
		}
		Children(e.Contents, 64)
	})
}

package mongodb

import (
	"encoding/binary"
	"io"
	"math"
	"net"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/record"
)

// Element builders for test documents.
func el(typ byte, name string, raw []byte) []byte {
	return append(append(append([]byte{typ}, name...), 0), raw...)
}
func dbl(name string, f float64) []byte {
	return el(typeDouble, name, binary.LittleEndian.AppendUint64(nil, math.Float64bits(f)))
}
func i32(name string, v int32) []byte {
	return el(typeInt32, name, binary.LittleEndian.AppendUint32(nil, uint32(v)))
}
func str(name, s string) []byte {
	return el(typeString, name, append(binary.LittleEndian.AppendUint32(nil, uint32(len(s)+1)), append([]byte(s), 0)...))
}
func boolean(name string, v bool) []byte {
	b := byte(0)
	if v {
		b = 1
	}
	return el(typeBool, name, []byte{b})
}
func sub(typ byte, name string, elems ...[]byte) []byte { return el(typ, name, document(elems...)) }
func document(elems ...[]byte) []byte {
	b := make([]byte, 4)
	for _, e := range elems {
		b = append(b, e...)
	}
	b = append(b, 0)
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	return b
}

// opReplyOf wraps a document in an OP_REPLY to requestID.
func opReplyOf(requestID int32, d []byte) string {
	body := make([]byte, 20)
	binary.LittleEndian.PutUint32(body[16:], 1)
	body = append(body, d...)
	h := header(len(body), 99, opReply)
	binary.LittleEndian.PutUint32(h[8:], uint32(requestID))
	return string(append(h, body...))
}

// opMsgOf wraps a document in an OP_MSG to requestID.
func opMsgOf(requestID int32, d []byte) string {
	body := append([]byte{0, 0, 0, 0, 0}, d...)
	h := header(len(body), 100, opMsg)
	binary.LittleEndian.PutUint32(h[8:], uint32(requestID))
	return string(append(h, body...))
}

// standalone60 is what a MongoDB 6.0 standalone says to isMaster.
var standalone60 = document(
	boolean("ismaster", true),
	sub(typeDocument, "topologyVersion", el(typeObjectID, "processId", make([]byte, 12)),
		el(typeInt64, "counter", make([]byte, 8))),
	i32("maxBsonObjectSize", 16777216), i32("maxMessageSizeBytes", 48000000), i32("maxWriteBatchSize", 100000),
	el(typeDateTime, "localTime", make([]byte, 8)), i32("logicalSessionTimeoutMinutes", 30),
	el(typeInt64, "connectionId", []byte{5, 0, 0, 0, 0, 0, 0, 0}),
	i32("minWireVersion", 0), i32("maxWireVersion", 17), boolean("readOnly", false), dbl("ok", 1))

// secondary36 is a 3.6 replica set secondary.
var secondary36 = document(
	str("setName", "rs0"), boolean("ismaster", false), boolean("secondary", true),
	el(typeArray, "hosts", document(str("0", "db1:27017"), str("1", "db2:27017"))),
	i32("minWireVersion", 0), i32("maxWireVersion", 6), dbl("ok", 1))

// buildInfo60 is the buildInfo of MongoDB 6.0.5.
var buildInfo60 = document(
	str("version", "6.0.5"), str("gitVersion", "c9a99c120371d4d4c52cbb15dac34a36ce8d3b1d"),
	el(typeArray, "modules", document()), str("allocator", "tcmalloc"), str("javascriptEngine", "mozjs"),
	el(typeArray, "versionArray", document(i32("0", 6), i32("1", 0), i32("2", 5), i32("3", 0))),
	sub(typeDocument, "openssl", str("running", "OpenSSL 3.0.2 15 Mar 2022")),
	i32("bits", 64), boolean("debug", false), dbl("ok", 1))

var others = []string{
	"",
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\n\r\n",
	"220 mail.example.org ESMTP Exim 4.96\r\n",
	"-ERR unknown command\r\n",
	"\x15\x03\x01\x00\x02\x02\x50",
	opReplyOf(7, standalone60),                                                       // another request
	opReplyOf(1, document(str("hello", "world"))),                                    // no ok
	opReplyOf(1, document(dbl("ok", 1))),                                             // no hello fields
	opReplyOf(1, standalone60)[:60],                                                  // cut short
	opReplyOf(1, append(append([]byte{}, standalone60[:len(standalone60)-1]...), 7)), // no document end
	opReplyOf(1, document(sub(typeDocument, "a", sub(typeDocument, "b")), el(0x42, "x", nil), dbl("ok", 1))), // unknown type
}

func TestParseHello(t *testing.T) {
	cpe := []string{"cpe:2.3:a:mongodb:mongodb:*:*:*:*:*:*:*:*"}
	tests := []struct {
		in   string
		want *record.Service
	}{
		{opReplyOf(1, standalone60), &record.Service{Name: "mongodb", Product: "MongoDB",
			ExtraInfo: "wire version 17 (MongoDB 6.0)", Confidence: 10, CPE: cpe}},
		{opReplyOf(1, secondary36), &record.Service{Name: "mongodb", Product: "MongoDB",
			ExtraInfo: "secondary of rs0; wire version 6 (MongoDB 3.6)", Confidence: 10, CPE: cpe}},
		{opMsgOf(1, document(boolean("isWritablePrimary", true), str("msg", "isdbgrid"), i32("maxWireVersion", 30), dbl("ok", 1))),
			&record.Service{Name: "mongodb", Product: "MongoDB", ExtraInfo: "mongos; wire version 30 (MongoDB 8.0 or later)",
				Confidence: 10, CPE: cpe}},
		{opReplyOf(1, document(dbl("ok", 0), str("errmsg", "command isMaster requires authentication"), i32("code", 13),
			str("codeName", "Unauthorized"))),
			&record.Service{Name: "mongodb", Product: "MongoDB", ExtraInfo: "error: command isMaster requires authentication",
				Confidence: 8, CPE: cpe}},
	}
	for _, tt := range tests {
		got, err := ParseHello([]byte(tt.in))
		if err != nil {
			t.Errorf("ParseHello(%q): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseHello(%q) (-want +got):\n%s", tt.in, diff)
		}
		if !replyDone(1)([]byte(tt.in)) || replyDone(1)([]byte(tt.in[:len(tt.in)-1])) {
			t.Errorf("replyDone(%q) does not see where the answer ends", tt.in)
		}
	}
	fptest.NoMatch(t, "ParseHello", ParseHello, others...)
}

func TestBuildInfo(t *testing.T) {
	d, err := reply([]byte(opMsgOf(2, buildInfo60)), 2)
	if err != nil {
		t.Fatal(err)
	}
	svc := &record.Service{Product: "MongoDB"}
	addBuildInfo(svc, d)
	if svc.Version != "6.0.5" || svc.CPE[0] != "cpe:2.3:a:mongodb:mongodb:6.0.5:*:*:*:*:*:*:*" {
		t.Errorf("got %+v", svc)
	}
	d, _ = reply([]byte(opMsgOf(2, document(str("version", "7.0.0"), str("ferretdbVersion", "v1.10.0"), dbl("ok", 1)))), 2)
	svc = &record.Service{Product: "MongoDB"}
	addBuildInfo(svc, d)
	if svc.Product != "FerretDB" || svc.Version != "" {
		t.Errorf("FerretDB: got %+v", svc)
	}
}

func TestRequests(t *testing.T) {
	want := "\x3a\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\xd4\x07\x00\x00\x00\x00\x00\x00admin.$cmd\x00" +
		"\x00\x00\x00\x00\xff\xff\xff\xff\x13\x00\x00\x00\x10isMaster\x00\x01\x00\x00\x00\x00"
	if got := QueryCommand(1, "isMaster"); string(got) != want {
		t.Errorf("QueryCommand = %q, want %q", got, want)
	}
	want = "\x38\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\xdd\x07\x00\x00\x00\x00\x00\x00\x00" +
		"\x23\x00\x00\x00\x10buildInfo\x00\x01\x00\x00\x00\x02$db\x00\x06\x00\x00\x00admin\x00\x00"
	if got := MsgCommand(2, "buildInfo"); string(got) != want {
		t.Errorf("MsgCommand = %q, want %q", got, want)
	}
}

func TestDecodeDepth(t *testing.T) {
	d := document(dbl("ok", 1))
	for range depthMax + 2 {
		d = document(el(typeDocument, "x", d))
	}
	if _, _, err := decode(d); err == nil {
		t.Error("decode took documents nested past depthMax")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{opReplyOf(1, standalone60), opReplyOf(1, secondary36), opMsgOf(1, buildInfo60)} {
		f.Add([]byte(s))
	}
	for _, o := range others {
		f.Add([]byte(o))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "ParseHello", ParseHello, b)
		replyDone(1)(b)
		if d, err := reply(b, 1); err == nil {
			addBuildInfo(&record.Service{}, d)
		}
	})
}

// server plays mongod: isMaster by OP_QUERY, buildInfo by OP_MSG.
func server(c net.Conn) {
	for {
		var h [16]byte
		if _, err := io.ReadFull(c, h[:]); err != nil {
			return
		}
		n := binary.LittleEndian.Uint32(h[:])
		if n < 16 || n > 1<<16 {
			return
		}
		body := make([]byte, n-16)
		if _, err := io.ReadFull(c, body); err != nil {
			return
		}
		id := int32(binary.LittleEndian.Uint32(h[4:]))
		var out string
		switch binary.LittleEndian.Uint32(h[12:]) {
		case opQuery:
			out = opReplyOf(id, standalone60)
		case opMsg:
			out = opMsgOf(id, buildInfo60)
		default:
			return
		}
		c.Write([]byte(out[:20]))
		c.Write([]byte(out[20:]))
	}
}

func TestIdentifyLive(t *testing.T) {
	svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, server))
	if svc.Product != "MongoDB" || svc.Version != "6.0.5" || svc.ExtraInfo != "wire version 17 (MongoDB 6.0)" {
		t.Errorf("got %+v", svc)
	}
	http := fptest.Serve(t, fptest.Reply([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"), 16))
	fptest.MustNotMatch(t, plugin{}, http)
	silent := fptest.Silent(t)
	fptest.MustNotMatch(t, plugin{}, silent)
}

package mssql

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net"
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

// sql2005 is the PRELOGIN answer laid out as in the [MS-TDS] example: four
// options (VERSION 9.0.0, ENCRYPTION, INSTOPT, an empty THREADID).
const sql2005 = "04010025000001000000150006010" + "01b000102001c000103001d0000ff" + "090000000000" + "02" + "00"

// response builds a PRELOGIN answer like SQL Server 2019 and 2022 send:
// VERSION, ENCRYPTION, INSTOPT, THREADID (empty) and MARS.
func response(major, minor byte, build, sub uint16, enc byte, instance string) []byte {
	version := []byte{major, minor, 0, 0, 0, 0}
	binary.BigEndian.PutUint16(version[2:], build)
	binary.BigEndian.PutUint16(version[4:], sub)
	opts := []struct {
		token byte
		data  []byte
	}{
		{optVersion, version}, {optEncryption, []byte{enc}}, {optInstance, append([]byte(instance), 0)},
		{optThreadID, nil}, {optMARS, []byte{0}},
	}
	table := 5*len(opts) + 1
	var body, data []byte
	for _, o := range opts {
		body = append(body, o.token)
		body = binary.BigEndian.AppendUint16(body, uint16(table+len(data)))
		body = binary.BigEndian.AppendUint16(body, uint16(len(o.data)))
		data = append(data, o.data...)
	}
	body = append(append(body, optTerminator), data...)
	pkt := []byte{typeTabular, statusEOM, 0, 0, 0, 0, 1, 0}
	binary.BigEndian.PutUint16(pkt[2:], uint16(headerLen+len(body)))
	return append(pkt, body...)
}

func TestPrelogin(t *testing.T) {
	want := "1201002f00000000" + "00001a000601002000010200210001030022000404002600" + "01ff" +
		"000000000000" + "00" + "00" + "00000000" + "00"
	if got := hex.EncodeToString(Prelogin()); got != want {
		t.Errorf("Prelogin = %s\nwant        %s", got, want)
	}
}

func TestParsePrelogin(t *testing.T) {
	cpe := func(v string) []string { return []string{fingerprint.CPE("microsoft", "sql_server", v)} }
	tests := []struct {
		name string
		in   []byte
		want *record.Service
	}{
		{"2005 spec", unhex(t, sql2005), &record.Service{Name: "mssql", Product: "Microsoft SQL Server", Version: "9.0.0",
			ExtraInfo: "SQL Server 2005; encryption not supported", CPE: cpe("2005"), Confidence: 10}},
		{"2019", response(15, 0, 2000, 0, encryptOff, ""), &record.Service{Name: "mssql", Product: "Microsoft SQL Server",
			Version: "15.0.2000", ExtraInfo: "SQL Server 2019; encryption off", CPE: cpe("2019"), Confidence: 10}},
		{"2022 required", response(16, 0, 4135, 4, encryptRequired, ""), &record.Service{Name: "mssql", Product: "Microsoft SQL Server",
			Version: "16.0.4135.4", ExtraInfo: "SQL Server 2022; encryption required", CPE: cpe("2022"), Confidence: 10}},
		{"2008 R2 instance", response(10, 50, 1600, 0, encryptOn, "SQLEXPRESS"), &record.Service{Name: "mssql",
			Product: "Microsoft SQL Server", Version: "10.50.1600", ExtraInfo: "SQL Server 2008 R2; encryption on; instance SQLEXPRESS",
			CPE: cpe("2008"), Confidence: 10}},
		{"future", response(42, 1, 1, 0, encryptOff, ""), &record.Service{Name: "mssql", Product: "Microsoft SQL Server",
			Version: "42.1.1", ExtraInfo: "encryption off", CPE: cpe(""), Confidence: 10}},
	}
	for _, tt := range tests {
		got, err := ParsePrelogin(tt.in)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
	good := response(15, 0, 2000, 0, encryptOff, "")
	inTable := append([]byte(nil), good...)
	binary.BigEndian.PutUint16(inTable[headerLen+1:], 3) // VERSION data inside the table
	bad := map[string][]byte{
		"empty":     nil,
		"request":   Prelogin(),
		"truncated": good[:len(good)-1],
		"no eom":    append([]byte{typeTabular, 0}, good[2:]...),
		"in table":  inTable,
		"no table":  {typeTabular, statusEOM, 0, 14, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0},
		"http":      []byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"),
		"ssh":       []byte("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"),
		"tls alert": {0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x28},
		"mysql":     unhex(t, "4a0000000a352e352e352d31302e31312e362d4d617269614442"),
	}
	for name, in := range bad {
		if got, err := ParsePrelogin(in); !errors.Is(err, fingerprint.ErrNoMatch) {
			t.Errorf("%s: ParsePrelogin = %+v, %v; want ErrNoMatch", name, got, err)
		}
	}
}

func FuzzParsePrelogin(f *testing.F) {
	f.Add(unhex(f, sql2005))
	f.Add(response(15, 0, 2000, 0, encryptOff, ""))
	f.Add(response(10, 50, 1600, 0, encryptOn, "SQLEXPRESS"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "ParsePrelogin", ParsePrelogin, b)
		packetComplete(b)
	})
}

func TestIdentifyLive(t *testing.T) {
	// The answer comes in two writes: the header first.
	server := fptest.Serve(t, func(c net.Conn) {
		buf := make([]byte, 47)
		if n, _ := c.Read(buf); n == 0 || buf[0] != typePrelogin {
			return
		}
		r := response(15, 0, 2000, 0, encryptOff, "")
		c.Write(r[:headerLen])
		c.Write(r[headerLen:])
		c.Read(buf)
	})
	svc := fptest.MustMatch(t, plugin{}, server)
	if svc.Product != "Microsoft SQL Server" || svc.Version != "15.0.2000" || svc.Method != "probed" {
		t.Errorf("got %+v", svc)
	}
	http := fptest.Serve(t, fptest.Reply([]byte("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"), 1))
	fptest.MustNotMatch(t, plugin{}, http)
	echo := fptest.Serve(t, func(c net.Conn) {
		buf := make([]byte, 64)
		n, _ := c.Read(buf)
		c.Write(buf[:n])
		c.Read(buf)
	})
	fptest.MustNotMatch(t, plugin{}, echo)
	silent := fptest.HangUp(t)
	fptest.MustNotMatch(t, plugin{}, silent)
}

package bolt

import (
	"bytes"
	"io"
	"net"
	"testing"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/record"
)

// Answers to Hello, laid out as the Bolt protocol documentation
// (neo4j.com/docs/bolt/current/bolt, "Message exchange" and PackStream)
// shows them: SUCCESS {server, connection_id} from Neo4j 5.13 and from
// Memgraph, and FAILURE {code, message} from a server that wants
// credentials.
const (
	neo4jSuccess = "\x00,\xb1p\xa2\x86server\x8cNeo4j/5.13.0\x8dconnection_id\x86bolt-4\x00\x00"
	memgraph     = "\x00Z\xb1p\xa2\x86server\xd09Neo4j/v5.11.0 compatible graph database server - Memgraph" +
		"\x8dconnection_id\x86bolt-4\x00\x00"
	unauthorized = "\x00r\xb1\x7f\xa2\x84code\xd0%Neo.ClientError.Security.Unauthorized" +
		"\x87message\xd09The client is unauthorized due to authentication failure.\x00\x00"
)

func TestVersion(t *testing.T) {
	for in, want := range map[string][2]int{"\x00\x00\x04\x05": {5, 4}, "\x00\x00\x04\x04": {4, 4}, "\x00\x00\x00\x03": {3, 0}} {
		if major, minor, err := Version([]byte(in)); err != nil || major != want[0] || minor != want[1] {
			t.Errorf("Version(%q) = %d.%d, %v", in, major, minor, err)
		}
	}
	// No version in common, a version never proposed, an echo, text.
	fptest.NoMatch(t, "Version", func(b []byte) (int, error) { m, _, err := Version(b); return m, err },
		"", "\x00\x00\x00\x00", "\x00\x00\x00\x06", "\x00\x00\x09\x05", "\x00\x00\x00\x04", magic, "HTTP", "\x00\x00\x04\x05\x00")
}

func TestParseHello(t *testing.T) {
	tests := []struct{ in, product, version, extra string }{
		{neo4jSuccess, "Neo4j", "5.13.0", "Bolt 5.4"},
		{memgraph, "Memgraph", "", "Bolt 5.4; Neo4j/v5.11.0 compatible graph database server - Memgraph"},
		{unauthorized, "", "", "Bolt 5.4; hello refused: Neo.ClientError.Security.Unauthorized"},
	}
	for _, tt := range tests {
		agent, code, err := ParseHello([]byte(tt.in))
		if err != nil {
			t.Errorf("ParseHello(%q): %v", tt.in, err)
			continue
		}
		got := &record.Service{ExtraInfo: "Bolt 5.4"}
		describe(got, agent, code)
		if got.Product != tt.product || got.Version != tt.version || got.ExtraInfo != tt.extra {
			t.Errorf("ParseHello(%q): %+v", tt.in, got)
		}
	}
	for _, in := range []string{"", neo4jSuccess[:20], neo4jSuccess[:len(neo4jSuccess)-2],
		"\x00\x03\xb1\x71\xa0\x00\x00",                // RECORD, not SUCCESS
		"\x00\x04\xb1\x70\xa1\x86\x00\x00",            // a map cut short
		"\x00\x0b\xb1\x7f\xa1\x87message\x80\x00\x00", // FAILURE without a code
		"HTTP/1.1 400 Bad Request\r\n\r\n"} {
		if _, _, err := ParseHello([]byte(in)); err != fingerprint.ErrNoMatch {
			t.Errorf("ParseHello(%q): %v, want ErrNoMatch", in, err)
		}
	}
}

func TestHello(t *testing.T) {
	// HELLO {user_agent: "ajar/1", scheme: "none"}, one chunk.
	want := "\x00\x21\xb1\x01\xa2\x8auser_agent\x86ajar/1\x86scheme\x84none\x00\x00"
	if got := string(Hello(4, 4)); got != want {
		t.Errorf("Hello(4.4) = %q, want %q", got, want)
	}
	if got := Hello(5, 4); !bytes.Contains(got, []byte("\x8abolt_agent\xa1\x87product\x86ajar/1")) {
		t.Errorf("Hello(5.4) = %q", got)
	}
}

func FuzzParseHello(f *testing.F) {
	for _, s := range []string{neo4jSuccess, memgraph, unauthorized} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		agent, code, err := ParseHello(b)
		if err != nil && (agent != "" || code != "") {
			t.Fatalf("%q, %q with %v", agent, code, err)
		}
		Version(b)
		messageDone(b)
	})
}

// server plays Neo4j 5: it picks 5.4 and answers HELLO, each in pieces.
func server(c net.Conn) {
	h := make([]byte, 20)
	if _, err := io.ReadFull(c, h); err != nil || string(h[:4]) != magic {
		return
	}
	c.Write([]byte("\x00\x00"))
	c.Write([]byte("\x04\x05"))
	n := make([]byte, 2)
	if _, err := io.ReadFull(c, n); err != nil {
		return
	}
	if _, err := io.ReadFull(c, make([]byte, int(n[0])<<8|int(n[1])+2)); err != nil {
		return
	}
	c.Write([]byte(neo4jSuccess[:9]))
	c.Write([]byte(neo4jSuccess[9:]))
	io.Copy(io.Discard, c)
}

func TestIdentifyLive(t *testing.T) {
	svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, server))
	if svc.Product != "Neo4j" || svc.Version != "5.13.0" || svc.ExtraInfo != "Bolt 5.4" ||
		svc.CPE[0] != "cpe:2.3:a:neo4j:neo4j:5.13.0:*:*:*:*:*:*:*" {
		t.Errorf("got %+v", svc)
	}
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, fptest.Reply([]byte("\x00\x00\x00\x00"), 20)))
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, func(c net.Conn) { io.Copy(c, c) }))
	fptest.MustNotMatch(t, plugin{}, fptest.Silent(t))
}

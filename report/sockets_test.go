package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/ajarsec/ajar/record"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func sampleSockets() []record.Socket {
	return []record.Socket{
		{Proto: record.TCP, Local: netip.MustParseAddrPort("0.0.0.0:22"), State: record.SocketListen, Inode: 1001,
			User: "root", PID: 812, Process: "sshd", Cmdline: "sshd: /usr/sbin/sshd -D [listener]",
			Exposure: record.ExposureAll, Interfaces: []string{"lo", "eth0"}},
		{Proto: record.TCP, Local: netip.MustParseAddrPort("[::]:22"), State: record.SocketListen, Inode: 1002,
			User: "root", PID: 812, Process: "sshd", V6Only: true,
			Exposure: record.ExposureAll, Interfaces: []string{"lo", "eth0"}},
		{Proto: record.UDP, Local: netip.MustParseAddrPort("127.0.0.53:53"), State: record.SocketUnconn, Inode: 1003,
			User: "systemd-resolve", PID: 455, Process: "systemd-resolve", Device: "lo",
			Exposure: record.ExposureLoopback, Interfaces: []string{"lo"}},
		{Proto: record.UDP, Local: netip.MustParseAddrPort("[fe80::1]:123"), State: record.SocketUnconn, Inode: 1004,
			User: "ntp", PID: 0, Device: "eth0", Exposure: record.ExposureLocalLink, Interfaces: []string{"eth0"}},
		{Proto: record.TCP, Local: netip.MustParseAddrPort("[::]:8080"), State: record.SocketListen, Inode: 1005,
			User: "web \"dev\"", PID: 2001, Process: "python3", Cmdline: "python3 -m http.server\t8080 é",
			Exposure: record.ExposureAll, Interfaces: []string{"lo", "eth0"}},
		{Proto: record.TCP, Local: netip.MustParseAddrPort("192.0.2.7:5432"), State: record.SocketEstablished,
			Peer: netip.MustParseAddrPort("192.0.2.9:50123"), Inode: 1006, User: "postgres", PID: 3001,
			Process: "postgres", Exposure: record.ExposureInterface, Interfaces: []string{"eth0"}},
	}
}

func TestSocketsGolden(t *testing.T) {
	for _, tc := range []struct {
		name   string
		format Format
		style  Style
	}{
		{"sockets.table", Table, Style{}},
		{"sockets-verbose.table", Table, Style{Verbose: true}},
		{"sockets-color.table", Table, Style{Color: true}},
		{"sockets.json", JSON, Style{}},
		{"sockets.jsonl", JSONL, Style{}},
		{"sockets.csv", CSV, Style{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteSockets(&buf, tc.format, sampleSockets(), tc.style); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, buf.Bytes())
		})
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// TestSocketsJSONDecodes checks the hand-built JSON against encoding/json:
// it must parse, keep every field name, and round-trip odd strings.
func TestSocketsJSONDecodes(t *testing.T) {
	ss := sampleSockets()
	var buf bytes.Buffer
	if err := WriteSockets(&buf, JSON, ss, Style{}); err != nil {
		t.Fatal(err)
	}
	var recs []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &recs); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, buf.Bytes())
	}
	if len(recs) != len(ss) {
		t.Fatalf("%d records, want %d", len(recs), len(ss))
	}
	for _, k := range []string{"proto", "address", "port", "state", "pid", "process", "user", "exposure", "interfaces", "cmdline"} {
		if _, ok := recs[0][k]; !ok {
			t.Errorf("field %q missing", k)
		}
	}
	if recs[4]["user"] != ss[4].User || recs[4]["cmdline"] != ss[4].Cmdline {
		t.Errorf("strings did not round-trip: %v %v", recs[4]["user"], recs[4]["cmdline"])
	}
	if recs[3]["pid"] != nil || recs[3]["process"] != nil {
		t.Errorf("unknown owner should be null: %v %v", recs[3]["pid"], recs[3]["process"])
	}
	buf.Reset()
	if err := WriteSockets(&buf, JSON, nil, Style{}); err != nil || buf.String() != "[]\n" {
		t.Errorf("no sockets: %q, %v", buf.String(), err)
	}
}

func TestSocketsCSVParses(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteSockets(&buf, CSV, sampleSockets(), Style{}); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1+len(sampleSockets()) || recs[5][9] != sampleSockets()[4].Cmdline {
		t.Errorf("csv: %d rows, cmdline %q", len(recs), recs[5][9])
	}
}

func FuzzJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", "quote\"back\\slash", "\x00\x1f\x7f", "é\u2028\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := jsonBuf(nil).str(s)
		var back string
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%q encoded as invalid JSON %s: %v", s, b, err)
		}
		// encoding/json is the reference: it too turns each invalid byte
		// into U+FFFD.
		ref, _ := json.Marshal(s)
		var want string
		if err := json.Unmarshal(ref, &want); err != nil {
			t.Fatal(err)
		}
		if back != want {
			t.Fatalf("%q came back as %q", want, back)
		}
	})
}

func TestParseFormat(t *testing.T) {
	for _, s := range []string{"table", "json", "JSONL", "csv"} {
		if _, err := ParseFormat(s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	if _, err := ParseFormat("xml2"); err == nil {
		t.Error("xml2 accepted")
	}
}

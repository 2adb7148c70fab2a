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
	holders := func(pid int, name string, more ...int) []record.Holder {
		hs := []record.Holder{{PID: pid, Process: name}}
		for _, p := range more {
			hs = append(hs, record.Holder{PID: p, Process: name})
		}
		return hs
	}
	return []record.Socket{
		{Proto: record.TCP, Local: netip.MustParseAddrPort("0.0.0.0:22"), State: record.SocketListen, Inode: 1001,
			User: "root", PID: 812, Process: "sshd", Cmdline: "sshd: /usr/sbin/sshd -D [listener]", Holders: holders(812, "sshd"),
			Exposure: record.ExposureAll, Interfaces: []string{"lo", "eth0"}},
		{Proto: record.TCP, Local: netip.MustParseAddrPort("[::]:22"), State: record.SocketListen, Inode: 1002,
			User: "root", PID: 812, Process: "sshd", V6Only: true, Holders: holders(812, "sshd"),
			Exposure: record.ExposureAll, Interfaces: []string{"lo", "eth0"}},
		{Proto: record.UDP, Local: netip.MustParseAddrPort("127.0.0.53:53"), State: record.SocketUnconn, Inode: 1003,
			User: "systemd-resolve", PID: 455, Process: "systemd-resolve", Device: "lo", Holders: holders(455, "systemd-resolve"),
			Exposure: record.ExposureLoopback, Interfaces: []string{"lo"}},
		{Proto: record.UDP, Local: netip.MustParseAddrPort("0.0.0.0:68"), State: record.SocketUnconn, Inode: 1007,
			User: "root", PID: 640, Process: "dhclient", Device: "eth0", Holders: holders(640, "dhclient"),
			Exposure: record.ExposureInterface, Interfaces: []string{"eth0"}},
		{Proto: record.TCP, Local: netip.MustParseAddrPort("192.0.2.7:80"), State: record.SocketListen, Inode: 1008,
			User: "root", PID: 900, Process: "nginx", Cmdline: "nginx: master process /usr/sbin/nginx",
			Holders:  []record.Holder{{PID: 900, Process: "nginx"}, {PID: 901, Process: "nginx"}, {PID: 902, Process: "nginx-worker"}},
			Exposure: record.ExposureAddress, Interfaces: []string{"lo", "eth0"}},
		{Proto: record.UDP, Local: netip.MustParseAddrPort("[fe80::1]:123"), State: record.SocketUnconn, Inode: 1004,
			User: "ntp", PID: 0, Device: "eth0", Exposure: record.ExposureLocalLink, Interfaces: []string{"eth0"}},
		{Proto: record.TCP, Local: netip.MustParseAddrPort("[::]:8080"), State: record.SocketListen, Inode: 1005,
			User: "web \"dev\"", PID: 2001, Process: "python3", Cmdline: "python3 -m http.server\t8080 é", Holders: holders(2001, "python3"),
			Exposure: record.ExposureAll, Interfaces: []string{"lo", "eth0"}},
		{Proto: record.TCP, Local: netip.MustParseAddrPort("192.0.2.7:5432"), State: record.SocketEstablished,
			Peer: netip.MustParseAddrPort("192.0.2.9:50123"), Inode: 1006, User: "postgres", PID: 3001,
			Process: "postgres", Holders: holders(3001, "postgres"), Exposure: record.ExposureAddress, Interfaces: []string{"lo", "eth0"}},
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
	for _, k := range []string{"proto", "address", "port", "state", "pid", "process", "user", "exposure", "interfaces", "cmdline",
		"peer", "dual_stack", "device", "inode", "holders"} {
		if _, ok := recs[0][k]; !ok {
			t.Errorf("field %q missing", k)
		}
	}
	if recs[6]["user"] != ss[6].User || recs[6]["cmdline"] != ss[6].Cmdline {
		t.Errorf("strings did not round-trip: %v %v", recs[6]["user"], recs[6]["cmdline"])
	}
	if recs[5]["pid"] != nil || recs[5]["process"] != nil || len(recs[5]["holders"].([]any)) != 0 {
		t.Errorf("unknown owner should be null, no holders: %v %v %v", recs[5]["pid"], recs[5]["process"], recs[5]["holders"])
	}
	var typed []struct {
		PID     int
		Holders []struct {
			PID     int
			Process string
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &typed); err != nil {
		t.Fatal(err)
	}
	if h := typed[4].Holders; typed[4].PID != 900 || len(h) != 3 || h[0].PID != 900 || h[2].PID != 902 || h[2].Process != "nginx-worker" {
		t.Errorf("nginx's holders: pid %d %+v", typed[4].PID, h)
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
	if len(recs) != 1+len(sampleSockets()) || recs[7][9] != sampleSockets()[6].Cmdline || recs[5][14] != "900;901;902" {
		t.Errorf("csv: %d rows, cmdline %q, holders %q", len(recs), recs[7][9], recs[5][14])
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

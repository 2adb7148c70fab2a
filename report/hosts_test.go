package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ajarsec/ajar/record"
)

var sweepHosts = []record.Host{
	{Addr: netip.MustParseAddr("192.0.2.1"), State: record.Up, Reason: record.ReasonARPResponse,
		RTT: 250 * time.Microsecond, MAC: record.MAC{2, 0, 0, 0, 0, 1}},
	{Addr: netip.MustParseAddr("192.0.2.2"), Name: "db\"<x>", State: record.Down, Reason: record.ReasonNoResponse},
	{Addr: netip.MustParseAddr("2001:db8::1"), State: record.Up, Reason: record.ReasonEchoReply, RTT: time.Millisecond},
}

func writeSweep(t *testing.T, f Format) string {
	t.Helper()
	var b bytes.Buffer
	w := newWriter(t, f, &b, Options{})
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := w.Begin(RunInfo{Args: []string{"ajar", "scan", "-sn", "192.0.2.0/30"}, Start: start, PingOnly: true}); err != nil {
		t.Fatal(err)
	}
	for i := range sweepHosts {
		if err := w.Write(&sweepHosts[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.End(RunStats{End: start.Add(1500 * time.Millisecond), HostsTotal: 4}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestHostWriters(t *testing.T) {
	jl := writeSweep(t, JSONL)
	want := `{"host":"192.0.2.1","hostname":null,"status":"up","reason":"arp-response","rtt_ms":0.25,"mac":"02:00:00:00:00:01"}
{"host":"192.0.2.2","hostname":"db\"<x>","status":"down","reason":"no-response","rtt_ms":null,"mac":null}
{"host":"2001:db8::1","hostname":null,"status":"up","reason":"echo-reply","rtt_ms":1,"mac":null}
`
	if jl != want {
		t.Errorf("JSON Lines:\n%s\nwant\n%s", jl, want)
	}
	var arr []map[string]any
	if err := json.Unmarshal([]byte(writeSweep(t, JSON)), &arr); err != nil || len(arr) != 3 {
		t.Errorf("JSON array: %v %v", arr, err)
	}
	if csv := writeSweep(t, CSV); !strings.HasPrefix(csv, "host,hostname,status,reason,rtt_ms,mac\n192.0.2.1,,up,arp-response,0.25,02:00:00:00:00:01\n") ||
		strings.Count(csv, "\n") != 4 {
		t.Errorf("CSV:\n%s", csv)
	}
	tab := writeSweep(t, Table)
	if !strings.Contains(tab, "ajar scan report for 192.0.2.1\nHost is up, arp-response (0.00025s latency).\nMAC Address: 02:00:00:00:00:01\n") ||
		strings.Contains(tab, "192.0.2.2") || !strings.HasSuffix(tab, "ajar done: 4 IP addresses (2 hosts up) scanned in 1.50 seconds\n") {
		t.Errorf("table:\n%s", tab)
	}
	x := writeSweep(t, XML)
	var run struct {
		Hosts []struct {
			Status struct {
				State  string `xml:"state,attr"`
				Reason string `xml:"reason,attr"`
			} `xml:"status"`
			Addrs []struct {
				Addr     string `xml:"addr,attr"`
				AddrType string `xml:"addrtype,attr"`
			} `xml:"address"`
			Names []struct {
				Name string `xml:"name,attr"`
			} `xml:"hostnames>hostname"`
		} `xml:"host"`
		Stats struct {
			Up   int `xml:"up,attr"`
			Down int `xml:"down,attr"`
		} `xml:"runstats>hosts"`
	}
	if err := xml.Unmarshal([]byte(x), &run); err != nil {
		t.Fatalf("%v\n%s", err, x)
	}
	if len(run.Hosts) != 3 || run.Hosts[0].Status.State != "up" || run.Hosts[0].Status.Reason != "arp-response" ||
		run.Hosts[0].Addrs[1].AddrType != "mac" || run.Hosts[1].Status.State != "down" ||
		run.Hosts[1].Names[0].Name != `db"<x>` || run.Stats.Up != 2 || run.Stats.Down != 2 {
		t.Errorf("XML:\n%s", x)
	}
}

// TestHostsBeforePorts: a producer that writes discovery's records
// before the ports (an up host's record first) still gets each up host
// once, with discovery's reason and its ports, at End; a down host is
// listed down in XML, JSON and CSV.
func TestHostsBeforePorts(t *testing.T) {
	var tab, x, jl, cs bytes.Buffer
	var ws []Writer
	for _, o := range []struct {
		f Format
		b *bytes.Buffer
	}{{Table, &tab}, {XML, &x}, {JSONL, &jl}, {CSV, &cs}} {
		ws = append(ws, newWriter(t, o.f, o.b, Options{}))
	}
	w := MultiWriter(ws...)
	if err := w.Begin(RunInfo{Scans: []ScanInfo{{Type: "connect", Proto: record.TCP, Ports: "22", NumPorts: 1}}}); err != nil {
		t.Fatal(err)
	}
	for i := range sweepHosts[:2] {
		if err := w.Write(&sweepHosts[i]); err != nil {
			t.Fatal(err)
		}
	}
	r := record.PortResult{Host: sweepHosts[0].Addr, Port: 22, Proto: record.TCP, State: record.Filtered, Reason: record.ReasonNoResponse}
	if err := w.Write(&r); err != nil {
		t.Fatal(err)
	}
	if err := w.End(RunStats{HostsTotal: 2}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(tab.String(), "ajar scan report for 192.0.2.1\nHost is up (0.00025s latency).\nAll 1 scanned ports") ||
		strings.Count(tab.String(), "scan report") != 1 || !strings.Contains(tab.String(), "2 IP addresses (1 host up)") ||
		!strings.Contains(tab.String(), "MAC Address: 02:00:00:00:00:01\n") {
		t.Errorf("table:\n%s", tab.String())
	}
	if !strings.Contains(x.String(), `<status state="up" reason="arp-response"`) || strings.Count(x.String(), "<status ") != 2 ||
		!strings.Contains(x.String(), `<status state="down" reason="no-response"`) || !strings.Contains(x.String(), `<hosts up="1" down="1" total="2"/>`) {
		t.Errorf("XML:\n%s", x.String())
	}
	want := `{"host":"192.0.2.1","hostname":null,"status":"up","reason":"arp-response","rtt_ms":0.25,"mac":"02:00:00:00:00:01"}
{"host":"192.0.2.2","hostname":"db\"<x>","status":"down","reason":"no-response","rtt_ms":null,"mac":null}
`
	if jl.String() != want {
		t.Errorf("JSON Lines: %q, want %q", jl.String(), want)
	}
	if want := "host,hostname,port,proto,state,reason,rtt_ms,service,product,version,mac\n" +
		"192.0.2.1,,,,up,arp-response,0.25,,,,02:00:00:00:00:01\n" +
		"192.0.2.2,\"db\"\"<x>\",,,down,no-response,,,,,\n"; cs.String() != want {
		t.Errorf("CSV: %q, want %q", cs.String(), want)
	}
}

package diff_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ajarsec/ajar/diff"
	"github.com/ajarsec/ajar/record"
)

func read(t *testing.T, s string) *diff.File {
	t.Helper()
	f, err := diff.Read(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestFormats: each format reads to the same open ports.
func TestFormats(t *testing.T) {
	tests := []struct{ format, in string }{
		{diff.FormatNmapXML, `<?xml version="1.0"?><!DOCTYPE nmaprun><nmaprun scanner="nmap" args="nmap x" start="1700000000">
<host><status state="up" reason="syn-ack"/><address addr="192.0.2.1" addrtype="ipv4"/><address addr="00:11:22:33:44:55" addrtype="mac"/>
<ports><extraports state="closed" count="998"><extrareasons reason="resets" count="998" proto="tcp" ports="1-21,23-79,81-1000"/></extraports>
<port protocol="tcp" portid="22"><state state="open" reason="syn-ack"/><service name="ssh" product="OpenSSH" version="9.2p1" method="probed" conf="10"><cpe>cpe:/a:openbsd:openssh:9.2p1</cpe></service></port>
<port protocol="tcp" portid="80"><state state="open" reason="syn-ack"/><service name="http" method="table" conf="3"/></port>
</ports></host></nmaprun>`},
		{diff.FormatAjarJSON, `{"host":"192.0.2.1","hostname":null,"port":22,"proto":"tcp","state":"open","reason":"syn-ack","rtt_ms":1,"service":{"name":"ssh","product":"OpenSSH","version":"9.2p1","confidence":10,"method":"probed"}}
{"host":"192.0.2.1","hostname":null,"port":80,"proto":"tcp","state":"open","reason":"syn-ack","rtt_ms":1,"service":null}
{"host":"192.0.2.1","hostname":null,"status":"up","reason":"syn-ack","rtt_ms":null,"mac":null}`},
		{diff.FormatMasscanJSON, `[
{   "ip": "192.0.2.1",   "timestamp": "1700000000", "ports": [ {"port": 22, "proto": "tcp", "status": "open", "reason": "syn-ack", "ttl": 64} ] }
,
{   "ip": "192.0.2.1",   "timestamp": "1700000000", "ports": [ {"port": 80, "proto": "tcp", "status": "open", "reason": "syn-ack", "ttl": 64} ] }
,
]`},
		{diff.FormatMasscanList, "#masscan\nopen tcp 22 192.0.2.1 1700000000\nopen tcp 80 192.0.2.1 1700000000\nbanner tcp 22 192.0.2.1 1700000001 ssh SSH-2.0-OpenSSH_9.2p1\n# end\n"},
		{diff.FormatNaabuJSON, `{"host":"192.0.2.1","ip":"192.0.2.1","port":22,"protocol":"tcp","timestamp":"2024-01-01T00:00:00Z"}
{"ip":"192.0.2.1","port":{"Port":80,"Protocol":0,"TLS":false},"timestamp":"2024-01-01T00:00:00Z"}`},
	}
	for _, tt := range tests {
		f := read(t, tt.in)
		if f.Format != tt.format {
			t.Errorf("%s read as %s", tt.format, f.Format)
		}
		var open []string
		hosts := 0
		for _, r := range f.Records {
			switch r := r.(type) {
			case *record.PortResult:
				if r.State == record.Open {
					open = append(open, netip.AddrPortFrom(r.Host, r.Port).String()+"/"+r.Proto.String())
				}
			case *record.Host:
				hosts++
				if r.State != record.Up {
					t.Errorf("%s: host %v", tt.format, r.State)
				}
			}
		}
		if strings.Join(open, " ") != "192.0.2.1:22/tcp 192.0.2.1:80/tcp" || hosts != 1 {
			t.Errorf("%s: open %v, %d hosts", tt.format, open, hosts)
		}
	}
}

func TestBadFiles(t *testing.T) {
	for _, in := range []string{"", "hello", "<html></html>", `{"a":1}`, "[1,2]", "open tcp x 192.0.2.1 1", "{\"host\":\"x\",\"port\":1,\"state\":\"open\"}"} {
		if _, err := diff.Read(strings.NewReader(in)); err == nil {
			t.Errorf("%q read without error", in)
		}
	}
}

// scan builds a scan: ports "22/tcp:open:ssh OpenSSH 9.2", findings "6379/tcp!redis-no-auth".
func scan(label string, hostState record.HostState, ports ...string) *diff.Scan {
	s := diff.NewScan(label, time.Unix(1700000000, 0))
	a := netip.MustParseAddr("192.0.2.1")
	for _, p := range ports {
		spec, finding, _ := strings.Cut(p, "!")
		parts := strings.SplitN(spec, ":", 3)
		num, proto, _ := strings.Cut(parts[0], "/")
		r := &record.PortResult{Host: a, Proto: record.TCP}
		if proto == "udp" {
			r.Proto = record.UDP
		}
		var n int
		for _, c := range num {
			n = n*10 + int(c-'0')
		}
		r.Port = uint16(n)
		r.State.UnmarshalText([]byte(parts[1]))
		if len(parts) > 2 {
			f := strings.Fields(parts[2])
			r.Service = &record.Service{Name: f[0], Method: "probed"}
			if len(f) > 1 {
				r.Service.Product, r.Service.Version = f[1], strings.Join(f[2:], " ")
			}
		}
		if finding != "" {
			r.Findings = []record.Finding{{ID: finding, Severity: record.High, Title: "t"}}
		}
		s.Add(r)
	}
	s.Add(&record.Host{Addr: a, State: hostState})
	return s
}

func TestCompare(t *testing.T) {
	a := scan("a", record.Up, "22/tcp:open:ssh OpenSSH 9.2", "80/tcp:open", "443/tcp:closed", "53/udp:open|filtered", "6379/tcp:open!redis-no-auth",
		"8080/tcp:open")
	b := scan("b", record.Up, "22/tcp:open:ssh OpenSSH 9.6", "80/tcp:filtered", "443/tcp:open", "53/udp:closed", "6379/tcp:open!redis-weak-tls",
		"8080/tcp:open:http")
	want := []string{
		"22/tcp service ssh OpenSSH 9.2 → ssh OpenSSH 9.6",
		"80/tcp closed open → filtered",
		"443/tcp opened closed → open",
		"6379/tcp finding-new absent → redis-weak-tls",
		"6379/tcp finding-fixed redis-no-auth → absent",
		"53/udp state open|filtered → closed",
	}
	if got := changeLines(diff.Compare(a, b)); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := diff.Compare(a, a); len(got) != 0 {
		t.Errorf("a scan against itself: %v", changeLines(got))
	}
	down := scan("c", record.Down)
	if got := changeLines(diff.Compare(a, down)); len(got) != 5 || got[0] != "0/proto(0) host-down up → down" {
		t.Errorf("host down: %v", got)
	}
}

func changeLines(cs []diff.Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%d/%s %s %s → %s", c.Port, c.Proto, c.Kind, c.Before, c.After))
	}
	return out
}

// TestSeries: a port that flaps is flagged, reopened is told, and
// --settle holds back a change the last scans do not agree on.
func TestSeries(t *testing.T) {
	s := []*diff.Scan{
		scan("1", record.Up, "22/tcp:closed", "80/tcp:closed"),
		scan("2", record.Up, "22/tcp:open", "80/tcp:closed"),
		scan("3", record.Up, "22/tcp:closed", "80/tcp:closed"),
		scan("4", record.Up, "22/tcp:open", "80/tcp:open"),
	}
	got, unsettled := diff.Series(s, 0)
	if len(got) != 2 || len(unsettled) != 0 {
		t.Fatalf("series: %v", changeLines(got))
	}
	if c := got[0]; c.Port != 22 || !c.Flapping || !c.Reopened || strings.Join(c.History, ",") != "closed,open,closed,open" {
		t.Errorf("22: %+v", c)
	}
	if c := got[1]; c.Port != 80 || c.Flapping || c.Reopened {
		t.Errorf("80: %+v", c)
	}
	s = append(s, scan("5", record.Up, "22/tcp:open", "80/tcp:closed"))
	got, unsettled = diff.Series(s, 2)
	if len(got) != 1 || got[0].Port != 22 || len(unsettled) != 0 {
		t.Errorf("settle 2: %v, unsettled %v", changeLines(got), changeLines(unsettled))
	}
	s = append(s, scan("6", record.Up, "22/tcp:closed", "80/tcp:open"))
	got, unsettled = diff.Series(s, 2)
	if len(got) != 0 || len(unsettled) != 1 || unsettled[0].Port != 80 {
		t.Errorf("settle 2 after a flap: %v, unsettled %v", changeLines(got), changeLines(unsettled))
	}
}

// TestWrite: JSON has the fixed fields, XML is well formed, text is short.
func TestWrite(t *testing.T) {
	a := scan("a", record.Up, "22/tcp:open", "6379/tcp:open")
	b := scan("b", record.Up, "22/tcp:closed", "6379/tcp:open!redis-no-auth")
	rep := &diff.Report{A: a, B: b, Scans: 2, Changes: diff.Compare(a, b)}
	var buf bytes.Buffer
	if err := diff.Write(&buf, diff.JSON, rep); err != nil {
		t.Fatal(err)
	}
	var objs []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &objs); err != nil || len(objs) != 2 {
		t.Fatalf("JSON %v: %s", err, buf.String())
	}
	for _, o := range objs {
		for _, k := range []string{"host", "proto", "port", "change", "before", "after"} {
			if _, ok := o[k]; !ok {
				t.Errorf("JSON change without %s: %v", k, o)
			}
		}
	}
	if objs[0]["change"] != "closed" || objs[0]["port"] != 22.0 || objs[1]["change"] != "finding-new" || objs[1]["after"] != "redis-no-auth" {
		t.Errorf("JSON: %s", buf.String())
	}
	buf.Reset()
	diff.Write(&buf, diff.JSONL, rep)
	if n := strings.Count(buf.String(), "\n"); n != 2 {
		t.Errorf("JSON Lines: %d lines", n)
	}
	buf.Reset()
	diff.Write(&buf, diff.XML, rep)
	var doc struct {
		Ports []struct {
			Change string `xml:"change,attr"`
		} `xml:"scandiff>hostdiff>host>ports>portdiff"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil || len(doc.Ports) != 2 {
		t.Errorf("XML %v: %s", err, buf.String())
	}
	buf.Reset()
	diff.Write(&buf, diff.Text, rep)
	if !strings.Contains(buf.String(), "-22/tcp     closed") || !strings.Contains(buf.String(), "redis-no-auth (high)") || !strings.HasSuffix(buf.String(), "2 changes\n") {
		t.Errorf("text:\n%s", buf.String())
	}
}

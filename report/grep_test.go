package report

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/ajarsec/ajar/record"
)

// TestGrepParses reads the grepable output the way scripts written for
// nmap's -oG read it: the lines with "Ports:", split on tabs into
// "Name: value" fields, the ports on ", ", each port on "/" into its
// seven fields.
func TestGrepParses(t *testing.T) {
	out := string(writeStream(t, Grep, Options{}, streamInfo(), sampleStream(), streamStats()))
	type port struct{ num, state, proto, owner, service, rpc, version string }
	got := map[string][]port{}
	ignoredState := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, "\t")
		host, ok := strings.CutPrefix(fields[0], "Host: ")
		if !ok {
			t.Fatalf("line without Host: %q", line)
		}
		addr, _, _ := strings.Cut(host, " ")
		for _, f := range fields[1:] {
			name, val, ok := strings.Cut(f, ": ")
			if !ok {
				t.Fatalf("field %q of %q", f, line)
			}
			switch name {
			case "Status":
				if val != "Up" {
					t.Errorf("%s: status %q", addr, val)
				}
			case "Ports":
				for _, p := range strings.Split(val, ", ") {
					sub := strings.Split(p, "/")
					if len(sub) != 8 || sub[7] != "" {
						t.Fatalf("port %q: %d fields", p, len(sub))
					}
					got[addr] = append(got[addr], port{sub[0], sub[1], sub[2], sub[3], sub[4], sub[5], sub[6]})
				}
			case "Ignored State":
				ignoredState[addr] = val
			default:
				t.Errorf("unknown field %q", name)
			}
		}
	}
	want := map[string][]port{
		"192.0.2.10": {{"22", "open", "tcp", "", "ssh", "", "OpenSSH 9.2p1 Debian 2 (protocol 2.0)"},
			{"80", "open", "tcp", "", "http?", "", `Apache httpd (Debian <test> & "q")`}},
		"2001:db8::1": {{"8080", "open", "tcp", "", "ssl|http", "", "nginx 1.22.1"}},
	}
	for a, ps := range want {
		if len(got[a]) != len(ps) {
			t.Errorf("%s: ports %v, want %v", a, got[a], ps)
			continue
		}
		for i := range ps {
			if got[a][i] != ps[i] {
				t.Errorf("%s: port %+v, want %+v", a, got[a][i], ps[i])
			}
		}
	}
	if len(got) != len(want) {
		t.Errorf("hosts with ports: %v", got)
	}
	for a, s := range map[string]string{"192.0.2.10": "closed (7)", "2001:db8::1": "filtered (8)", "192.0.2.30": "filtered (10)"} {
		if ignoredState[a] != s {
			t.Errorf("%s: Ignored State %q, want %q", a, ignoredState[a], s)
		}
	}

	// The one-liners: awk on the Ports lines, grep and cut on "open".
	if awk, err := exec.LookPath("awk"); err == nil {
		cmd := exec.Command(awk, `/Ports:/ { for (i = 1; i <= NF; i++) if ($i ~ /\/open\//) { split($i, p, "/"); print $2, p[1] } }`)
		cmd.Stdin = strings.NewReader(out)
		b, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		if want := "192.0.2.10 22\n192.0.2.10 80\n2001:db8::1 8080\n"; string(b) != want {
			t.Errorf("awk printed %q, want %q", b, want)
		}
	}
	var up []string
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "Status: Up") {
			up = append(up, strings.Fields(line)[1])
		}
	}
	if strings.Join(up, " ") != "192.0.2.10 2001:db8::1 192.0.2.30" {
		t.Errorf("up hosts (grep Up | cut -d' ' -f2): %v", up)
	}
}

// TestGrepField: nothing a service sends can break a line or a field.
func TestGrepField(t *testing.T) {
	for in, want := range map[string]string{
		"OpenSSH 9.2p1": "OpenSSH 9.2p1",
		"a/b":           "a|b",
		"x\ty\nz":       `x\ty\nz`,
		"\x1b[31mred":   `\x1b[31mred`,
	} {
		if got := grepField(in); got != want {
			t.Errorf("grepField(%q) = %q, want %q", in, got, want)
		}
	}
	var b bytes.Buffer
	b.WriteString(grepField("é/\u0085"))
	if strings.ContainsAny(b.String(), "/\t\n") {
		t.Errorf("%q", b.String())
	}
}

// FuzzGrepLine: whatever a peer or a user put in a name, a product or a
// version, a host stays on its two lines and each port keeps its seven
// fields.
func FuzzGrepLine(f *testing.F) {
	for _, s := range []string{"plain", "a/b, c", "\t\n\r", "é\u2028\xff", "//////"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a := webAddr
		rs := []record.Record{
			&record.PortResult{Host: a, Hostname: s, Port: 22, Proto: record.TCP, State: record.Open,
				Service: &record.Service{Name: s, Product: s, Version: s, ExtraInfo: s, Tunnel: s, Method: "probed"}},
			&record.Host{Addr: a, Name: s, State: record.Up, Reason: record.Reason(s)},
		}
		ri := RunInfo{Args: []string{"ajar", s}, Version: s, ScanType: "syn", Ports: "22", NumPorts: 1}
		out := string(writeStream(t, Grep, Options{}, ri, rs, RunStats{End: sampleEnd}))
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != 4 || !strings.HasPrefix(lines[0], "# ") || !strings.HasPrefix(lines[3], "# ") {
			t.Fatalf("%q: %d lines:\n%s", s, len(lines), out)
		}
		fields := strings.Split(lines[2], "\t")
		if len(fields) != 2 || !strings.HasPrefix(fields[1], "Ports: ") {
			t.Fatalf("%q: fields %q", s, fields)
		}
		if n := strings.Count(fields[1], "/"); n != 7 {
			t.Errorf("%q: %d slashes in %q", s, n, fields[1])
		}
	})
}

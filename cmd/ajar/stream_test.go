package main_test

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/ajarsec/ajar/internal/netnstest"
)

// TestScanKillKeepsHosts kills a large scan with SIGKILL and reads back
// what its outputs hold: every host finished before the kill is on disk,
// whole, in the table on stdout and in the saved XML, as nmap writes them.
func TestScanKillKeepsHosts(t *testing.T) {
	ns := netnstest.New(t)
	// In the namespace every 127.x.y.z is this host: port 7 is open on
	// each of them, the other ports closed.
	var l net.Listener
	if err := ns.Do(func() (err error) { l, err = net.Listen("tcp", "0.0.0.0:7"); return err }); err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	dir := t.TempDir()
	table, xmlPath := filepath.Join(dir, "scan.txt"), filepath.Join(dir, "scan.xml")
	out, err := os.Create(table)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd := ns.Command(ajarBin, "scan", "-sT", "-Pn", "-p", "1-20", "--max-hostgroup", "32", "-q",
		"--save", "xml:"+xmlPath, "127.0.0.0/16")
	cmd.Stdout = out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	report := regexp.MustCompile(`(?m)^ajar scan report for (\S+)$`)
	deadline := time.Now().Add(time.Minute)
	for {
		b, _ := os.ReadFile(table)
		if len(report.FindAll(b, -1)) >= 100 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no 100 hosts on disk in a minute:\n%.2000s", b)
		}
		time.Sleep(20 * time.Millisecond) // polling a file another process writes
	}
	cmd.Process.Kill()
	cmd.Wait()

	b, err := os.ReadFile(table)
	if err != nil {
		t.Fatal(err)
	}
	blocks := report.FindAllSubmatchIndex(b, -1)
	if len(blocks) < 100 || len(blocks) >= 65536 {
		t.Fatalf("%d hosts on disk after the kill", len(blocks))
	}
	for i, m := range blocks {
		end := len(b)
		if i+1 < len(blocks) {
			end = blocks[i+1][0]
		}
		block := b[m[0]:end]
		if !bytes.Contains(block, []byte("\n7/tcp ")) || !bytes.Contains(block, []byte("Not shown: 19 closed tcp ports")) {
			t.Fatalf("host %s is not whole on disk:\n%s", b[m[2]:m[3]], block)
		}
	}
	x, err := os.ReadFile(xmlPath)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(x, []byte("</host>")); n < 100 || !bytes.HasSuffix(bytes.TrimSpace(x), []byte("</host>")) {
		t.Errorf("XML on disk after the kill: %d whole hosts, ends %q", n, x[max(0, len(x)-200):])
	}
}

package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ajarsec/ajar/internal/netnstest"
)

// masscanIn runs Debian's masscan in the bed's scanner namespace against
// the target's ports and writes its output (format "-oJ" or "-oL") to
// file. masscan 1.3.2 may hang after its wait until a packet comes in:
// while it runs, the target knocks on the scanner's port 9 every half
// second (a SYN that masscan's receive thread wakes on, answered by a
// reset), never more than the run's 60 seconds allow.
func masscanIn(t *testing.T, bed *netnstest.Bed, ports, format, file string) {
	t.Helper()
	var mac string
	if err := bed.Target.Do(func() error {
		ifc, err := net.InterfaceByName(bed.TargetLink)
		if err == nil {
			mac = ifc.HardwareAddr.String()
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := bed.Scanner.Command("masscan", "-p"+ports, "--rate", "1000", "--wait", "1",
		"--adapter", bed.ScannerLink, "--adapter-ip", bed.ScannerAddr4.String(), "--router-mac", mac,
		format, file, bed.TargetAddr4.String())
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	knock := time.NewTicker(500 * time.Millisecond)
	defer knock.Stop()
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("masscan: %v\n%s", err, stderr.String())
			}
			return
		case <-ctx.Done():
			cmd.Process.Kill()
			t.Fatalf("masscan did not end within a minute\n%s", stderr.String())
		case <-knock.C:
			bed.Target.Do(func() error {
				c, err := net.DialTimeout("tcp4", bed.ScannerAddr4.String()+":9", 200*time.Millisecond)
				if err == nil {
					c.Close()
				}
				return nil
			})
		}
	}
}

// TestMasscanFiles: real masscan output, in its JSON and list formats,
// read by ajar diff (against itself, against ajar's own scan of the same
// ports, and across a listener closed and another opened) and by ajar
// import into the history.
func TestMasscanFiles(t *testing.T) {
	netnstest.RequirePrivileges(t)
	if _, err := exec.LookPath("masscan"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("masscan is needed under CI=true (Debian package masscan, scripts/test-deps.sh)")
		}
		t.Skip("needs masscan (Debian package masscan)")
	}
	bed := netnstest.NewBed(t)
	dir := t.TempDir()
	addr := bed.TargetAddr4.String()
	listenIn(t, bed.Target, addr+":2101")
	second := listenIn(t, bed.Target, addr+":2102")
	const ports = "2100-2104"
	first, list1 := filepath.Join(dir, "first.json"), filepath.Join(dir, "first.txt")
	masscanIn(t, bed, ports, "-oJ", first)
	masscanIn(t, bed, ports, "-oL", list1)
	mine := filepath.Join(dir, "ajar.jsonl")
	out, stderr, code := runIn(t, bed.Scanner, "scan", "-sT", "-Pn", "-p", ports, "-q", "-o", "jsonl", addr)
	if code != 0 {
		t.Fatalf("ajar scan: exit %d: %s", code, stderr)
	}
	os.WriteFile(mine, []byte(out), 0o600)

	diff := func(a, b string, more ...string) []change {
		t.Helper()
		out, stderr, code := storing(t, nil, dir, append([]string{"diff", a, b, "-o", "json"}, more...)...)
		var cs []change
		if code != 0 || json.Unmarshal([]byte(out), &cs) != nil {
			t.Fatalf("ajar diff %s %s: exit %d: %s\n%s", filepath.Base(a), filepath.Base(b), code, stderr, out)
		}
		return cs
	}
	for _, pair := range [][2]string{{first, list1}, {list1, first}, {first, mine}, {mine, list1}} {
		if cs := diff(pair[0], pair[1]); len(cs) != 0 {
			t.Errorf("ajar diff %s %s: %+v, want no change (the same two ports open)", filepath.Base(pair[0]), filepath.Base(pair[1]), cs)
		}
	}

	second()
	listenIn(t, bed.Target, addr+":2103")
	list2 := filepath.Join(dir, "second.txt")
	masscanIn(t, bed, ports, "-oL", list2)
	got := fmt.Sprint(diff(first, list2))
	want := fmt.Sprint([]change{{addr, "tcp", 2102, "closed", "open", "absent"}, {addr, "tcp", 2103, "opened", "absent", "open"}})
	if got != want {
		t.Errorf("ajar diff first.json second.txt: %s, want %s", got, want)
	}

	if _, stderr, code := storing(t, nil, dir, "import", first, list2); code != 0 {
		t.Fatalf("ajar import: exit %d: %s", code, stderr)
	}
	runs := history(t, dir)
	if len(runs) != 2 || runs[0].OpenPorts != 2 || runs[1].OpenPorts != 2 {
		t.Fatalf("history after importing two masscan files: %+v", runs)
	}
	if got := fmt.Sprint(diff("last~1", "last", "--kind", "import")); got != want {
		t.Errorf("ajar diff of the two imported runs: %s, want %s", got, want)
	}
}

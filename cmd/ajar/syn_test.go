package main_test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ajarsec/ajar/internal/netnstest"
)

// These tests send only to loopback addresses and inside namespaces they
// make; each runs a bounded number of scans.

// runIn runs ajar in ns and returns stdout, stderr and the exit code; a
// run that hangs is killed after two minutes.
func runIn(t *testing.T, ns *netnstest.NS, args ...string) (string, string, int) {
	t.Helper()
	cmd := ns.Command(ajarBin, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	timer := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	defer timer.Stop()
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("ajar %v: %v", args, err)
	}
	return o.String(), e.String(), code
}

// TestSynLoopbackFull SYN-scans every port of 127.0.0.1 and ::1 in a fresh
// namespace, where only the test's listeners listen, and checks each
// port's state and reason; the saved XML says type="syn".
func TestSynLoopbackFull(t *testing.T) {
	ns := netnstest.New(t)
	open := map[netip.AddrPort]bool{}
	var ls []net.Listener
	err := ns.Do(func() error {
		for _, a := range []string{"127.0.0.1:0", "[::1]:0"} {
			for range 10 {
				l, err := net.Listen("tcp", a)
				if err != nil {
					return err
				}
				ls = append(ls, l)
				open[l.Addr().(*net.TCPAddr).AddrPort()] = true
			}
		}
		return nil
	})
	t.Cleanup(func() {
		for _, l := range ls {
			l.Close()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	xmlPath := filepath.Join(t.TempDir(), "scan.xml")
	for _, addr := range []string{"127.0.0.1", "::1"} {
		start := time.Now()
		out, stderr, code := runIn(t, ns, "scan", "-sS", "-p-", "--all-ports", "-o", "jsonl", "-q", "--save", "xml:"+xmlPath, addr)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", addr, code, stderr)
		}
		took := time.Since(start)
		bad := 0
		for p, r := range byPort(t, parseJSONL(t, out)) {
			want := "closed/reset"
			if open[netip.AddrPortFrom(netip.MustParseAddr(addr), uint16(p))] {
				want = "open/syn-ack"
			}
			if got := r.State + "/" + r.Reason; got != want {
				if bad++; bad <= 10 {
					t.Errorf("%s port %d: %s, want %s", addr, p, got, want)
				}
			}
		}
		t.Logf("%s: all ports in %v", addr, took)
		checkScanInfo(t, xmlPath, "syn")
	}
}

// checkScanInfo checks the <scaninfo> types of an nmap XML file.
func checkScanInfo(t *testing.T, path string, types ...string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var run struct {
		Infos []struct {
			Type     string `xml:"type,attr"`
			Protocol string `xml:"protocol,attr"`
		} `xml:"scaninfo"`
	}
	if err := xml.Unmarshal(b, &run); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var got []string
	for _, si := range run.Infos {
		got = append(got, si.Type)
	}
	if strings.Join(got, ",") != strings.Join(types, ",") {
		t.Errorf("scaninfo types %v, want %v", got, types)
	}
}

// TestSynBedRepeated scans all ports of the bed's target ten times in a
// row at default settings (as root: a SYN scan, which ajar says on
// stderr), and checks every port's state each time.
func TestSynBedRepeated(t *testing.T) {
	bed, bt := newScanBed(t)
	addr := bed.TargetAddr4.String()
	var times []string
	for run := 1; run <= 10; run++ {
		start := time.Now()
		out, stderr, code := runIn(t, bed.Scanner, "scan", "-p-", "--all-ports", "-o", "jsonl", addr)
		took := time.Since(start)
		if code != 0 {
			t.Fatalf("run %d: exit %d: %s", run, code, stderr)
		}
		if stderr != "ajar: SYN scan (raw sockets allowed here; -sT for a connect scan)\n" {
			t.Errorf("run %d: stderr %q, want the one line naming the SYN scan", run, stderr)
		}
		recs := parseJSONL(t, out)
		checkBed(t, fmt.Sprintf("run %d", run), bt, recs)
		for _, r := range recs {
			if r.State == "open" && r.Reason != "syn-ack" || r.State == "closed" && r.Reason != "reset" {
				t.Errorf("run %d: port %d %s with reason %s", run, r.Port, r.State, r.Reason)
				break
			}
		}
		times = append(times, fmt.Sprintf("%.2fs", took.Seconds()))
	}
	t.Logf("10 full scans of %s: %s", addr, strings.Join(times, " "))
}

// TestSynBedIPv6 SYN-scans all ports of the target's IPv6 address.
func TestSynBedIPv6(t *testing.T) {
	bed, bt := newScanBed(t)
	out := scanIn(t, bed, "-sS", "-p-", "--all-ports", "-o", "jsonl", "-q", bed.TargetAddr6.String())
	checkBed(t, bed.TargetAddr6.String(), bt, parseJSONL(t, out))
}

// TestSynBedReasons lifts the target's ICMP rate limits, so that every
// rejected SYN is answered, and checks each band's reason.
func TestSynBedReasons(t *testing.T) {
	bed, _ := newScanBed(t)
	bed.LiftICMPLimits()
	for _, addr := range []string{bed.TargetAddr4.String(), bed.TargetAddr6.String()} {
		out := scanIn(t, bed, "-sS", "-p", "4990-5010,5990-6010,6990-7010", "--all-ports", "-o", "jsonl", "-q", addr)
		recs := parseJSONL(t, out)
		if len(recs) != 63 {
			t.Errorf("%s: %d results, want 63", addr, len(recs))
		}
		for _, r := range recs {
			var want string
			switch {
			case r.Port == 4999:
				want = "open/syn-ack"
			case r.Port >= 5000 && r.Port < 5100:
				want = "filtered/admin-prohibited"
			case r.Port >= 6000 && r.Port < 6100:
				want = "filtered/port-unreach"
			default:
				want = "closed/reset"
			}
			if got := r.State + "/" + r.Reason; got != want {
				t.Errorf("%s port %d: %s, want %s", addr, r.Port, got, want)
			}
		}
	}
}

// TestSynAndUDP runs -sS -sU together: TCP ports by SYN, UDP ports by
// datagram, in one scan, each with its scaninfo.
func TestSynAndUDP(t *testing.T) {
	bed := netnstest.NewBed(t)
	bed.ListenTCP(22)
	bed.ListenUDP(53)
	xmlPath := filepath.Join(t.TempDir(), "scan.xml")
	out := scanIn(t, bed, "-sS", "-sU", "-p", "T:22,53,U:53", "--all-ports", "-o", "jsonl", "-q", "--save", "xml:"+xmlPath, bed.TargetAddr4.String())
	got := map[string]string{}
	for _, r := range parseJSONL(t, out) {
		got[fmt.Sprintf("%d/%s", r.Port, r.Proto)] = r.State + "/" + r.Reason
	}
	want := map[string]string{"22/tcp": "open/syn-ack", "53/tcp": "closed/reset", "53/udp": "open/udp-response"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("-sS -sU: %v, want %v", got, want)
	}
	checkScanInfo(t, xmlPath, "syn", "udp")
}

// nobodyBinary copies ajar where the user nobody can run it.
func nobodyBinary(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root, to run ajar as another user")
	}
	bin := filepath.Join(os.TempDir(), "ajar-nobody-syn-"+strconv.Itoa(os.Getpid()))
	data, err := os.ReadFile(ajarBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(bin) })
	return bin
}

func asNobody(t *testing.T, bin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

// TestSynPrivileges runs ajar as nobody: -sS fails with exit 2 and says
// what it needs; without -sS or -sT the scan falls back to connect and
// says so on stderr, and -q keeps it quiet.
func TestSynPrivileges(t *testing.T) {
	bin := nobodyBinary(t)
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)

	stdout, stderr, code := asNobody(t, bin, "scan", "-sS", "-p", port, "127.0.0.1")
	if code != 2 || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "CAP_NET_RAW") {
		t.Errorf("-sS as nobody: exit %d, stdout %q, stderr %q; want exit 2 and one line naming CAP_NET_RAW", code, stdout, stderr)
	}

	stdout, stderr, code = asNobody(t, bin, "scan", "-p", port, "-o", "jsonl", "127.0.0.1")
	recs := parseJSONL(t, stdout)
	if code != 0 || len(recs) != 1 || recs[0].Reason != "connected" {
		t.Errorf("default as nobody: exit %d, results %+v, stderr %q; want a connect scan", code, recs, stderr)
	}
	if stderr != "ajar: TCP connect scan (a SYN scan needs root or CAP_NET_RAW)\n" {
		t.Errorf("default as nobody: stderr %q, want one line naming the connect scan", stderr)
	}
	if _, stderr, code = asNobody(t, bin, "scan", "-q", "-p", port, "127.0.0.1"); code != 0 || stderr != "" {
		t.Errorf("-q as nobody: exit %d, stderr %q", code, stderr)
	}
}

// TestSynFlags checks the technique flags' errors and help.
func TestSynFlags(t *testing.T) {
	_, stderr, code := ajar(t, "scan", "-sS", "-sT", "127.0.0.1")
	if code != 2 || !strings.Contains(stderr, "only one of -sS") {
		t.Errorf("-sS -sT: exit %d, stderr %q", code, stderr)
	}
	out, _, code := ajar(t, "scan", "--help")
	if code != 0 || !strings.Contains(out, "-sS (raw SYNs") || !strings.Contains(out, "--syn") || !strings.Contains(out, "--max-rate") ||
		strings.Count(out, "\n") > 150 {
		t.Errorf("scan --help does not tell of -sS and --max-rate in a short text:\n%s", out)
	}
	out, _, code = ajar(t, "help", "scanning")
	if code != 0 || !strings.Contains(out, "-sS (--syn) sends TCP SYNs") || !strings.Contains(out, "-T4 aggressive") {
		t.Errorf("help scanning:\n%s", out)
	}
}

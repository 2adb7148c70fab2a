package main_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ajarsec/ajar/internal/netnstest"
)

// frame is what the capture check reads of one Ethernet frame: who it is
// for, at the IP (or ARP, or NDP) level, and its TCP destination port.
type frame struct {
	src, dst netip.Addr // IP addresses; for ARP, sender and target
	// about is the address an ARP request or NDP solicitation asks for.
	about   netip.Addr
	tcpPort int // TCP destination port, or -1
}

// readPcap reads a classic pcap file (as tcpdump -w writes it) of
// Ethernet frames. It is the test's own reader: a few formats, checked.
func readPcap(r io.Reader) ([]frame, error) {
	br := bufio.NewReader(r)
	var hdr [24]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		return nil, fmt.Errorf("pcap header: %w", err)
	}
	var bo binary.ByteOrder
	switch binary.LittleEndian.Uint32(hdr[:4]) {
	case 0xa1b2c3d4, 0xa1b23c4d:
		bo = binary.LittleEndian
	case 0xd4c3b2a1, 0x4d3cb2a1:
		bo = binary.BigEndian
	default:
		return nil, fmt.Errorf("not a pcap file: magic %x", hdr[:4])
	}
	if link := bo.Uint32(hdr[20:24]); link != 1 {
		return nil, fmt.Errorf("link type %d, want Ethernet", link)
	}
	var frames []frame
	for {
		var rec [16]byte
		if _, err := io.ReadFull(br, rec[:]); err == io.EOF {
			return frames, nil
		} else if err != nil {
			return frames, nil // tcpdump stopped mid-record: keep what is whole
		}
		n := bo.Uint32(rec[8:12])
		if n > 1<<18 {
			return nil, fmt.Errorf("record of %d bytes", n)
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(br, b); err != nil {
			return frames, nil
		}
		if f, ok := parseFrame(b); ok {
			frames = append(frames, f)
		}
	}
}

func parseFrame(b []byte) (frame, bool) {
	if len(b) < 14 {
		return frame{}, false
	}
	f := frame{tcpPort: -1}
	et, p := binary.BigEndian.Uint16(b[12:14]), b[14:]
	switch et {
	case 0x0806: // ARP
		if len(p) < 28 {
			return frame{}, false
		}
		f.src, f.dst = netip.AddrFrom4([4]byte(p[14:18])), netip.AddrFrom4([4]byte(p[24:28]))
		f.about = f.dst
	case 0x0800:
		if len(p) < 20 {
			return frame{}, false
		}
		ihl := int(p[0]&0xf) * 4
		f.src, f.dst = netip.AddrFrom4([4]byte(p[12:16])), netip.AddrFrom4([4]byte(p[16:20]))
		if p[9] == 6 && len(p) >= ihl+4 {
			f.tcpPort = int(binary.BigEndian.Uint16(p[ihl+2:]))
		}
	case 0x86dd:
		if len(p) < 40 {
			return frame{}, false
		}
		f.src, f.dst = netip.AddrFrom16([16]byte(p[8:24])), netip.AddrFrom16([16]byte(p[24:40]))
		switch l4 := p[40:]; {
		case p[6] == 6 && len(l4) >= 4:
			f.tcpPort = int(binary.BigEndian.Uint16(l4[2:]))
		case p[6] == 58 && len(l4) >= 24 && l4[0] == 135: // neighbour solicitation
			f.about = netip.AddrFrom16([16]byte(l4[8:24]))
		}
	default:
		return frame{}, false
	}
	return f, true
}

// capture runs tcpdump on the LAN's bridge, which every frame crosses,
// until stop is called; stop returns the frames.
func capture(t *testing.T, lan *netnstest.LAN) (stop func() []frame) {
	t.Helper()
	if _, err := exec.LookPath("tcpdump"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tcpdump (Debian package tcpdump) is needed and missing")
		}
		t.Skip("needs tcpdump (Debian package tcpdump)")
	}
	path := filepath.Join(t.TempDir(), "lan.pcap")
	cmd := lan.Switch.Command("tcpdump", "-i", lan.Bridge, "-n", "-U", "--immediate-mode", "-B", "32768", "-s", "256", "-w", path)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// tcpdump says it listens once its capture is open.
	ready := make(chan error, 1)
	var log bytes.Buffer
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			if !sent && strings.Contains(sc.Text(), "listening on") {
				ready <- nil
				sent = true
			}
		}
		if !sent {
			ready <- fmt.Errorf("tcpdump ended: %s", log.String())
		}
	}()
	select {
	case err := <-ready:
		if err != nil {
			cmd.Wait()
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("tcpdump did not start listening")
	}
	return func() []frame {
		// tcpdump drops what it has not read yet when it is stopped:
		// wait until its file stops growing (a file another process
		// writes: polled, with a deadline).
		var last int64 = -1
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
			fi, err := os.Stat(path)
			if err == nil && fi.Size() == last {
				break
			}
			if err == nil {
				last = fi.Size()
			}
			time.Sleep(150 * time.Millisecond)
		}
		cmd.Process.Signal(syscall.SIGINT)
		cmd.Wait()
		t.Logf("tcpdump: %s", strings.Join(strings.Fields(log.String()), " "))
		fh, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer fh.Close()
		frames, err := readPcap(fh)
		if err != nil {
			t.Fatal(err)
		}
		return frames
	}
}

// TestCaptureExclusions scans three LAN hosts, one of them excluded, with
// some ports excluded, while tcpdump watches the LAN: no frame may go to
// the excluded address (not even ARP or NDP for it) or to an excluded
// port, and the scanned hosts' other ports must be seen probed. It runs
// for each TCP technique ajar has: connect, and SYN when --help names it.
func TestCaptureExclusions(t *testing.T) {
	lan := netnstest.NewLAN(t, 3)
	for _, h := range lan.Hosts {
		h.ListenTCP(22, 80, 443, 8080)
	}
	excluded := lan.Hosts[1]
	exPorts := map[int]bool{22: true, 80: true, 81: true, 82: true, 83: true, 84: true, 85: true}
	techniques := [][]string{{"-sT"}}
	if help, _, _ := ajar(t, "scan", "--help"); strings.Contains(help, "--syn") {
		techniques = append(techniques, []string{"-sS"})
	}
	for _, tech := range techniques {
		for _, v6 := range []bool{false, true} {
			first, last, ex := lan.Hosts[0].Addr4, lan.Hosts[2].Addr4, excluded.Addr4
			if v6 {
				first, last, ex = lan.Hosts[0].Addr6, lan.Hosts[2].Addr6, excluded.Addr6
			}
			name := fmt.Sprintf("%s %v", tech[0], first)
			stop := capture(t, lan)
			args := append([]string{"scan"}, tech...)
			args = append(args, "-p", "1-1024,8080", "--exclude-ports", "22,80-85", "--exclude", ex.String(),
				"--all-ports", "-o", "jsonl", "-q", first.String()+"-"+last.String())
			out, stderr := ajarIn(t, lan.Scanner, args...)
			frames := stop()
			t.Logf("%s: %d frames captured; stderr %q", name, len(frames), stderr)
			probed := map[netip.Addr]map[int]bool{}
			for _, f := range frames {
				if f.dst == ex || f.about == ex {
					t.Errorf("%s: a frame for the excluded %v: %+v", name, ex, f)
				}
				if f.tcpPort >= 0 && exPorts[f.tcpPort] && (f.src == lan.ScannerAddr4 || f.src == lan.ScannerAddr6) {
					t.Errorf("%s: a probe of excluded port %d: %+v", name, f.tcpPort, f)
				}
				if f.tcpPort >= 0 && (f.src == lan.ScannerAddr4 || f.src == lan.ScannerAddr6) {
					if probed[f.dst] == nil {
						probed[f.dst] = map[int]bool{}
					}
					probed[f.dst][f.tcpPort] = true
				}
			}
			// The capture saw the scan: every port left, on both hosts.
			for _, a := range []netip.Addr{first, last} {
				if n := len(probed[a]); n != 1024+1-7 {
					t.Errorf("%s: %d ports of %v seen probed, want %d", name, n, a, 1024+1-7)
				}
			}
			results := map[string]int{}
			for _, r := range parseRecords(t, out) {
				if r.Port != nil {
					results[r.Host]++
					if exPorts[*r.Port] {
						t.Errorf("%s: excluded port %d reported", name, *r.Port)
					}
				}
			}
			if len(results) != 2 || results[first.String()] != 1018 || results[last.String()] != 1018 {
				t.Errorf("%s: results per host %v", name, results)
			}
		}
	}
}

//go:build linux

package main_test

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ajarsec/ajar/internal/netnstest"
)

// TestUDPIdentifyBed runs ajar scan -sU -sV against a target namespace
// whose UDP services sit on other protocols' ports, where the datagram a
// scan sends them is the wrong protocol's and they stay silent: real
// daemons (dnsmasq on NTP's port, chrony on DNS's, snmpd on SSDP's,
// memcached on SIP's, Samba's nmbd moved to mDNS's, coturn on OpenVPN's)
// and servers written here from their RFC (STUN on NAT-T's port; TFTP,
// answering from a fresh port, on ISAKMP's). Each must come out open and
// named by its own protocol's probe. A silent listener stays
// open|filtered and costs no more than one try of every probe; ports
// that answer garbage or echo are open and "unknown"; a closed port is
// closed. Everything is sent inside the bed's two namespaces.
func TestUDPIdentifyBed(t *testing.T) {
	for _, bin := range []string{"dnsmasq", "chronyd", "snmpd", "memcached", "nmbd", "turnserver", "ss", "nft"} {
		if _, err := exec.LookPath(bin); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s not installed (scripts/zoo-deps.sh installs it); under CI=true this test must run", bin)
			}
			t.Skipf("%s not installed (scripts/zoo-deps.sh installs it)", bin)
		}
	}
	b := netnstest.NewBed(t)
	b.LiftICMPLimits()
	dir := t.TempDir()
	target := b.TargetAddr4.String()
	conf := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	daemon(t, b, 123, "dnsmasq", "-k", "-C", "/dev/null", "--port=123", "--listen-address="+target,
		"--bind-interfaces", "--no-resolv", "--no-hosts", "--pid-file=", "--user=root")
	daemon(t, b, 53, "chronyd", "-d", "-x", "-u", "root", "-f", conf("chrony.conf",
		"port 53\nbindaddress "+target+"\nallow all\nlocal stratum 10\ncmdport 0\npidfile "+dir+"/chronyd.pid\n"))
	snmpDir := filepath.Join(dir, "snmp")
	daemon(t, b, 1900, "env", "SNMP_PERSISTENT_DIR="+snmpDir, "snmpd", "-f", "-Lo", "-C", "-I", "-smux", "-p", dir+"/snmpd.pid",
		"-c", conf("snmpd.conf", "agentaddress udp:"+target+":1900\nrocommunity public default\nsysLocation ajar bed\n"))
	daemon(t, b, 5060, "memcached", "-u", "nobody", "-l", target, "-p", "0", "-U", "5060", "-m", "16")
	nmbdConf := "[global]\n\tserver role = standalone server\n\tworkgroup = AJARWG\n\tnetbios name = AJARBED\n" +
		"\tinterfaces = " + b.TargetLink + "\n\tbind interfaces only = yes\n\tload printers = no\n"
	for _, d := range []string{"lock", "state", "cache", "private", "run", "ncalrpc", "bind-dns", "log"} {
		os.Mkdir(filepath.Join(dir, d), 0o755)
		nmbdConf += "\t" + map[string]string{"lock": "lock directory", "state": "state directory", "cache": "cache directory",
			"private": "private dir", "run": "pid directory", "ncalrpc": "ncalrpc dir", "bind-dns": "binddns dir",
			"log": "log file"}[d] + " = " + filepath.Join(dir, d) + "\n"
	}
	// nmbd serves only port 137: the target's nftables moves it to 5353
	// (137 itself is not scanned).
	daemon(t, b, 137, "nmbd", "-F", "--no-process-group", "--debug-stdout", "-s", conf("smb.conf", nmbdConf))
	b.Target.Run("nft", "add table ip ajarudp; add chain ip ajarudp pre { type nat hook prerouting priority -100; }; "+
		"add rule ip ajarudp pre udp dport 5353 redirect to :137")

	daemon(t, b, 1194, "turnserver", "-n", "--no-cli", "--listening-ip="+target, "--listening-port=1194",
		"--no-tls", "--no-dtls", "--log-file=stdout", "--pidfile="+dir+"/turnserver.pid")
	stun := serveUDPIn(t, b, 4500, stunServer)
	tftp := tftpIn(t, b, 500)
	silent := serveUDPIn(t, b, 7000, nil)
	rng := rand.New(rand.NewPCG(12, 12))
	var mu sync.Mutex
	serveUDPIn(t, b, 7001, func(d []byte) []byte {
		mu.Lock()
		defer mu.Unlock()
		out := make([]byte, 1+rng.IntN(400))
		for i := range out {
			out[i] = byte(rng.Uint32())
		}
		return out
	})
	serveUDPIn(t, b, 7002, func(d []byte) []byte { return d })

	begin := time.Now()
	out := scanIn(t, b, "-sU", "-sV", "-p", "53,123,500,1194,1900,4500,5060,5353,7000,7001,7002,7003",
		"--probe-timeout", "500ms", "--service-timeout", "10s", "--all-ports", "-o", "jsonl", "-q", target)
	took := time.Since(begin)
	got := zooAnswers(t, out)
	for _, want := range []struct {
		port  uint16
		state string
		name  string // "": named by no probe
	}{
		{123, "open", "dns"},
		{53, "open", "ntp"},
		{1900, "open", "snmp"},
		{5060, "open", "memcached"},
		{5353, "open", "netbios-ns"},
		{1194, "open", "stun"},
		{4500, "open", "stun"},
		{500, "open", "tftp"},
		{7000, "open|filtered", ""},
		{7001, "open", "unknown"}, // answers the scan: open
		{7002, "open", "echo"},    // echoes what is not empty: RFC 862's echo, named by a probe's echo
		{7003, "closed", ""},
	} {
		a, ok := got[zooKey("udp", want.port)]
		switch {
		case !ok:
			t.Errorf("udp/%d: not in the output", want.port)
		case a.State != want.state:
			t.Errorf("udp/%d: %s, want %s (service %+v)", want.port, a.State, want.state, a.Service)
		case want.name != "" && (a.Service == nil || a.Service.Name != want.name || a.Service.Method != "probed"):
			t.Errorf("udp/%d: service %+v, want %s, probed", want.port, a.Service, want.name)
		case want.name == "" && a.Service != nil && a.Service.Method == "probed":
			t.Errorf("udp/%d: named %+v, want no name from a probe", want.port, a.Service)
		}
	}
	if a := got[zooKey("udp", 1194)]; a.Service == nil || a.Service.Product != "Coturn" || a.Service.Version == "" {
		t.Errorf("coturn: %+v, want its product and version from SOFTWARE", a.Service)
	}
	// The silent port had every probe once, a few datagrams each, and
	// the scan's own tries: nothing more.
	if n := silent.Load(); n == 0 || n > 40 {
		t.Errorf("the silent port got %d datagrams, want 1 to 40", n)
	}
	if stun.Load() == 0 || tftp.Load() == 0 {
		t.Errorf("the STUN and TFTP servers heard %d and %d datagrams", stun.Load(), tftp.Load())
	}
	if took > 30*time.Second {
		t.Errorf("scan took %v", took)
	}
	t.Logf("scan took %v; the silent port got %d datagrams", took, silent.Load())
}

// daemon starts a daemon in the bed's target namespace, waits (within a
// deadline) until it has bound UDP port, and stops it when the test ends.
func daemon(t *testing.T, b *netnstest.Bed, port uint16, argv ...string) {
	t.Helper()
	cmd := b.Target.Command(argv[0], argv[1:]...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", argv[0], err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		ss, err := b.Target.Command("ss", "-H", "-u", "-l", "-n", "sport", "=", ":"+strconv.Itoa(int(port))).Output()
		if err == nil && len(bytes.TrimSpace(ss)) > 0 {
			return
		}
		select {
		case <-exited:
			t.Fatalf("%s exited before binding udp/%d:\n%s", argv[0], port, out.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not bind udp/%d within 10 s:\n%s", argv[0], port, out.String())
		}
	}
}

// serveUDPIn binds port on the target's IPv4 address and answers each
// datagram with answer's result (nil answer or result: silence). It
// returns the count of datagrams heard.
func serveUDPIn(t *testing.T, b *netnstest.Bed, port uint16, answer func([]byte) []byte) *atomic.Int64 {
	return serveUDPFrom(t, b, port, answer, false)
}

// serveUDPFrom is serveUDPIn; with fresh, answers go out from another
// socket of the target, as a TFTP server's do.
func serveUDPFrom(t *testing.T, b *netnstest.Bed, port uint16, answer func([]byte) []byte, fresh bool) *atomic.Int64 {
	t.Helper()
	var pc, from *net.UDPConn
	err := b.InTarget(func() (err error) {
		pc, err = net.ListenUDP("udp4", &net.UDPAddr{IP: b.TargetAddr4.AsSlice(), Port: int(port)})
		from = pc
		if err == nil && fresh {
			from, err = net.ListenUDP("udp4", &net.UDPAddr{IP: b.TargetAddr4.AsSlice()})
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	var wg sync.WaitGroup
	t.Cleanup(func() {
		pc.Close()
		from.Close()
		wg.Wait()
	})
	wg.Go(func() {
		buf := make([]byte, 65536)
		for {
			k, peer, err := pc.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			n.Add(1)
			if answer != nil {
				if out := answer(buf[:k]); len(out) > 0 {
					from.WriteToUDPAddrPort(out, peer)
				}
			}
		}
	})
	return &n
}

// stunServer answers a Binding request (RFC 8489 §6.3) with a success
// carrying the request's transaction ID and a SOFTWARE attribute; it
// drops anything else, as a STUN server does.
func stunServer(d []byte) []byte {
	if len(d) < 20 || binary.BigEndian.Uint16(d) != 0x0001 || binary.BigEndian.Uint32(d[4:]) != 0x2112a442 {
		return nil
	}
	soft := []byte("ajar-bed-stun/1.0") // 17 bytes, padded to 20
	out := binary.BigEndian.AppendUint16(nil, 0x0101)
	out = binary.BigEndian.AppendUint16(out, uint16(4+20))
	out = append(out, d[4:20]...)
	out = binary.BigEndian.AppendUint16(out, 0x8022)
	out = binary.BigEndian.AppendUint16(out, uint16(len(soft)))
	out = append(out, soft...)
	return append(out, 0, 0, 0)
}

// tftpIn serves TFTP read requests on port as RFC 1350 §4 has it: the
// answer (here ERROR 1, File not found) comes from a fresh port.
func tftpIn(t *testing.T, b *netnstest.Bed, port uint16) *atomic.Int64 {
	return serveUDPFrom(t, b, port, func(d []byte) []byte {
		if len(d) < 4 || d[0] != 0 || d[1] != 1 { // RRQ
			return nil
		}
		return []byte("\x00\x05\x00\x01File not found\x00")
	}, true)
}

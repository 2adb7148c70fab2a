package main_test

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

type serviceRecord struct {
	Host    string `json:"host"`
	Port    int    `json:"port"`
	Proto   string `json:"proto"`
	State   string `json:"state"`
	Service *struct {
		Name    string `json:"name"`
		Product string `json:"product"`
		Version string `json:"version"`
		Method  string `json:"method"`
		Extra   string `json:"extrainfo"`
		Banner  string `json:"banner"`
		Tunnel  string `json:"tunnel"`
		TLS     *struct {
			Version string `json:"version"`
			JA3S    string `json:"ja3s"`
			Cert    *struct {
				Subject    string `json:"subject"`
				Expired    bool   `json:"expired"`
				SelfSigned bool   `json:"self_signed"`
			} `json:"certificate"`
		} `json:"tls"`
	} `json:"service"`
}

func parseServices(t *testing.T, out string) map[int]serviceRecord {
	t.Helper()
	recs := map[int]serviceRecord{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var r serviceRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("bad JSON line %q: %v", sc.Text(), err)
		}
		recs[r.Port] = r
	}
	return recs
}

// serve runs a loopback TCP server that speaks through handle, for the
// test's life.
func serve(t *testing.T, handle func(net.Conn)) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				handle(c)
			}()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

func greet(banner string) func(net.Conn) {
	return func(c net.Conn) {
		c.Write([]byte(banner))
		c.Read(make([]byte, 64))
	}
}

func expiredCert(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "old.example"},
		NotBefore: time.Now().Add(-72 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// idServers starts an SSH greeter, an SSH greeter inside TLS with an
// expired certificate, and a service nobody knows.
func idServers(t *testing.T) (ssh, tlsSSH, odd int) {
	conf := &tls.Config{Certificates: []tls.Certificate{expiredCert(t)}}
	ssh = serve(t, greet("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"))
	tlsSSH = serve(t, func(c net.Conn) {
		tc := tls.Server(c, conf)
		if tc.Handshake() == nil {
			greet("SSH-2.0-OpenSSH_9.6\r\n")(tc)
		}
	})
	odd = serve(t, greet("WELCOME TO THE MACHINE\r\n"))
	return ssh, tlsSSH, odd
}

func checkIdentified(t *testing.T, recs map[int]serviceRecord, ssh, tlsSSH, odd int) {
	t.Helper()
	if r := recs[ssh]; r.Service == nil || r.Service.Name != "ssh" || r.Service.Product != "OpenSSH" ||
		r.Service.Version != "9.2p1" || r.Service.Method != "probed" {
		t.Errorf("ssh port: %+v", r.Service)
	}
	r := recs[tlsSSH]
	if r.Service == nil || r.Service.Name != "ssh" || r.Service.Tunnel != "ssl" || r.Service.TLS == nil ||
		r.Service.TLS.Cert == nil || !r.Service.TLS.Cert.Expired || !r.Service.TLS.Cert.SelfSigned || len(r.Service.TLS.JA3S) != 32 {
		t.Errorf("TLS port: %+v", r.Service)
	} else if r.Service.TLS.Cert.Subject != "CN=old.example" {
		t.Errorf("certificate subject %q", r.Service.TLS.Cert.Subject)
	}
	if r := recs[odd]; r.Service == nil || r.Service.Name != "unknown" || r.Service.Banner != "WELCOME TO THE MACHINE\r\n" {
		t.Errorf("unknown service: %+v", r.Service)
	}
}

func TestIdentifyCommand(t *testing.T) {
	ssh, tlsSSH, odd := idServers(t)
	at := func(p int) string { return "127.0.0.1:" + strconv.Itoa(p) }
	out, errOut, code := ajar(t, "identify", "-o", "jsonl", at(ssh), at(tlsSSH), at(odd))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	checkIdentified(t, parseServices(t, out), ssh, tlsSSH, odd)

	// The same ports piped in, as another tool would.
	cmd := exec.Command(ajarBin, "identify", "-o", "jsonl", "-")
	cmd.Stdin = strings.NewReader("# from a scan\n" + at(ssh) + "\n" + at(tlsSSH) + "/tcp\n\n" + at(odd) + "\n")
	piped, err := cmd.Output()
	if err != nil {
		t.Fatalf("identify -: %v", err)
	}
	checkIdentified(t, parseServices(t, string(piped)), ssh, tlsSSH, odd)

	// The table names the TLS tunnel and says the certificate expired.
	table, _, _ := ajar(t, "identify", at(tlsSSH))
	if !strings.Contains(table, "ssl/ssh") || !strings.Contains(table, "EXPIRED") {
		t.Errorf("table:\n%s", table)
	}
}

func TestScanService(t *testing.T) {
	ssh, tlsSSH, odd := idServers(t)
	ports := strconv.Itoa(ssh) + "," + strconv.Itoa(tlsSSH) + "," + strconv.Itoa(odd)
	out, errOut, code := ajar(t, "scan", "-sT", "-sV", "-p", ports, "-o", "jsonl", "127.0.0.1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	checkIdentified(t, parseServices(t, out), ssh, tlsSSH, odd)
	xml, _, _ := ajar(t, "scan", "-sT", "-sV", "-p", strconv.Itoa(tlsSSH), "-o", "xml", "127.0.0.1")
	if !strings.Contains(xml, `<service name="ssh" product="OpenSSH" version="9.6"`) || !strings.Contains(xml, `tunnel="ssl" method="probed"`) {
		t.Errorf("XML service element:\n%s", xml)
	}
}

func TestIdentifyBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"identify"},
		{"identify", "127.0.0.1"},
		{"identify", "127.0.0.1:0"},
		{"identify", "127.0.0.1:70000"},
		{"identify", "127.0.0.1:22/sctp"},
		{"identify", "--service-timeout", "0s", "127.0.0.1:22"},
		{"identify", "--service-parallel", "0", "127.0.0.1:22"},
		{"scan", "-sV", "--service-timeout", "-1s", "127.0.0.1"},
	} {
		_, errOut, code := ajar(t, args...)
		if code != 2 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.HasPrefix(errOut, "ajar: ") {
			t.Errorf("ajar %v: exit %d, stderr %q; want exit 2 and one line", args, code, errOut)
		}
	}
}

// TestScanServiceInterrupt stops a scan with SIGINT while it identifies a
// service that never answers: ajar exits 130, the port is written, and the
// saved XML says the run ended early.
func TestScanServiceInterrupt(t *testing.T) {
	silent := serve(t, func(c net.Conn) { c.Read(make([]byte, 1)); time.Sleep(10 * time.Second) })
	xmlPath := t.TempDir() + "/scan.xml"
	cmd := exec.Command(ajarBin, "scan", "-sT", "-sV", "-p", strconv.Itoa(silent), "-o", "jsonl",
		"--save", "xml:"+xmlPath, "127.0.0.1")
	var out strings.Builder
	cmd.Stdout = &out
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The port scan of one port ends at once; identification of a silent
	// service takes seconds. Interrupt in between.
	time.Sleep(1500 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGINT)
	errOut, _ := io.ReadAll(stderr)
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("exit: %v, stderr %q; want 130", err, errOut)
	}
	recs := parseServices(t, out.String())
	if r, ok := recs[silent]; !ok || r.State != "open" {
		t.Errorf("port %d not written as open: %q", silent, out.String())
	} else if r.Service == nil || r.Service.Name == "unknown" && r.Service.Method != "port-table" || r.Service.Extra != "not identified: interrupted" {
		t.Errorf("port %d, stopped while identified: %+v; want it said not identified", silent, r.Service)
	}
	saved, err := os.ReadFile(xmlPath)
	if err != nil || !strings.Contains(string(saved), `exit="error"`) {
		t.Errorf("saved XML (%v) does not end as interrupted:\n%s", err, saved)
	}
}

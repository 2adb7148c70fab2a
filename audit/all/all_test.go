package all

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func TestChecksCompiledIn(t *testing.T) {
	want := []string{"amqp-guest", "cassandra-auth", "couchdb-auth", "dns-recursion", "dns-recursion-tcp", "docker-api", "elasticsearch-auth", "etcd-auth", "ftp-anonymous", "http-actuator", "http-basic-auth-cleartext", "http-directory-listing", "http-phpmyadmin", "http-pprof", "http-proxy-open", "http-server-status", "http-version-banner", "imap-cleartext", "kubelet-anonymous", "kubernetes-anonymous", "ldap-anonymous", "memcached-auth", "memcached-udp", "metrics", "mongodb-auth", "mqtt-anonymous", "mysql-empty-root", "nats-auth", "nfs-exports", "ntp-mode6", "ntp-monlist", "pop3-cleartext", "postgresql-trust", "rdp-nla", "rdp-standard-security", "redis-auth", "rsync-modules", "smb-signing", "smb-v1", "smtp-cleartext", "smtp-relay", "snmp-community", "socks-open", "ssh-algorithms", "telnet-cleartext", "tls", "vnc-auth", "x11-access", "zookeeper-auth"}
	var got []string
	for _, c := range audit.Checks() {
		got = append(got, c.Info().Name)
	}
	if len(got) != len(want) {
		t.Fatalf("checks %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("checks %v, want %v", got, want)
		}
	}
}

// hostileServers answer every connection in one bad way each.
var hostileServers = map[string]func(net.Conn){
	// An HTTP server's error page, whatever was asked (nuclei-templates
	// #6474: such pages pass for anonymous FTP elsewhere).
	"http error page": func(c net.Conn) {
		c.Write([]byte("HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\nContent-Length: 62\r\n\r\n" +
			"<html><body>230 Login successful. +PONG STAT pid</body></html>"))
		var b [512]byte
		c.SetReadDeadline(time.Now().Add(3 * time.Second))
		c.Read(b[:])
	},
	// Garbage without end.
	"endless stream": func(c net.Conn) {
		junk := make([]byte, 4096)
		for i := range junk {
			junk[i] = byte(i * 7)
		}
		for i := 0; i < 20000; i++ { // 80 MB at most
			if _, err := c.Write(junk); err != nil {
				return
			}
		}
	},
	// Silence.
	"silence": func(c net.Conn) {
		var b [1]byte
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		c.Read(b[:])
	},
}

// TestHostileServers: every TCP check, on a service that is not what
// identification named, finds nothing and costs at most its budget.
func TestHostileServers(t *testing.T) {
	for name, serve := range hostileServers {
		t.Run(name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					go func() { defer c.Close(); serve(c) }()
				}
			}()
			addr := netip.MustParseAddrPort(ln.Addr().String())
			const budget = 400 * time.Millisecond
			cfg := audit.Config{Timeout: budget, MaxBytes: 16 << 10}
			for _, c := range audit.Checks() {
				in := c.Info()
				if in.Proto != portspec.TCP {
					continue
				}
				svc := &record.Service{Name: "x", Method: "probed", Tunnel: "ssl"}
				if len(in.Services) > 0 {
					svc = &record.Service{Name: in.Services[0], Method: "probed"}
				}
				start := time.Now()
				fs, _ := (audit.Config{Timeout: cfg.Timeout, MaxBytes: cfg.MaxBytes, Checks: []audit.Check{c}}).Audit(
					context.Background(), audit.Target{Addr: addr, Proto: portspec.TCP, Service: svc})
				if d := time.Since(start); d > 2*budget+500*time.Millisecond {
					t.Errorf("%s took %v, budget %v", in.Name, d, budget)
				}
				if len(fs) > 0 {
					t.Errorf("%s found %+v", in.Name, fs)
				}
			}
		})
	}
}

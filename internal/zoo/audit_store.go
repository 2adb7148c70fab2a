//go:build linux

package zoo

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// auditTruthStore is the truth of catalogAuditStore: data stores and
// brokers that let in clients without credentials, each next to its
// hardened twin.
func auditTruthStore() []Risk {
	return []Risk{
		{"audit-postgresql-trust", 5432, "postgresql-trust", "no-auth", "critical"},
		{"audit-postgresql-scram", 5433, "", "no-auth", ""},
		{"audit-postgresql-ssltrust", 5434, "postgresql-trust", "no-auth", "critical"},
		{"audit-mariadb-empty", 3306, "mysql-empty-root-password", "default-credentials", "critical"},
		{"audit-mariadb-password", 3307, "", "default-credentials", ""},
		{"audit-etcd-open", 2379, "etcd-no-auth", "no-auth", "critical"},
		{"audit-etcd-auth", 2479, "", "no-auth", ""},
		{"audit-etcd-grpc", 2579, "etcd-no-auth", "no-auth", "critical"},
		{"audit-etcd-auth-grpc", 2679, "", "no-auth", ""},
		// No twin: memcached's secure UDP setting is no UDP at all (-U 0,
		// as audit-memcached-open runs).
		{"audit-memcached-udp", 11213, "memcached-udp-amplification", "amplification", "high"},
		{"audit-mosquitto-anon", 1883, "mqtt-anonymous", "no-auth", "high"},
		{"audit-mosquitto-auth", 1884, "", "no-auth", ""},
		{"audit-nats-open", 4222, "nats-no-auth", "no-auth", "high"},
		{"audit-nats-auth", 4223, "", "no-auth", ""},
		{"audit-nats-tls", 4224, "nats-no-auth", "no-auth", "high"},
		{"audit-rabbitmq-guest", 5672, "amqp-guest-login", "default-credentials", "high"},
		{"audit-rabbitmq-default", 5673, "", "default-credentials", ""},
		{"audit-zookeeper-open", 2181, "zookeeper-no-auth", "no-auth", "high"},
		{"audit-zookeeper-open", 2181, "zookeeper-envi-exposed", "info-leak", "low"},
		{"audit-zookeeper-auth", 2182, "", "no-auth", ""},
		{"audit-zookeeper-auth", 2182, "", "info-leak", ""},
		{"audit-docker-tcp", 2375, "docker-api-no-auth", "no-auth", "critical"},
		// Not identified: its TLS ends without a client certificate.
		{"audit-docker-tls", 2376, "", "no-auth", ""},
		// TLS without client verification (--tls, no --tlsverify).
		{"audit-docker-tlsnoverify", 2377, "docker-api-no-auth", "no-auth", "critical"},
	}
}

// catalogAuditStore lists the audit zoo's data stores and brokers, each
// risky daemon next to its hardened twin of the same package. Keep the
// packages in step with scripts/zoo-deps.sh.
func catalogAuditStore() []*daemon {
	postgres := func(name string, port uint16, auth string) *daemon {
		return &daemon{
			name: name, pkg: "postgresql-15", product: "PostgreSQL", reveal: "protocol", hideVersion: true,
			services: []svcDef{tcp("postgresql", "postgresql", port)}, user: "postgres", owner: "postgres",
			prepare: func(ctx context.Context, in *instance) error {
				// The superuser's password, for the twin's scram-sha-256.
				if err := os.WriteFile(in.file("pw"), []byte("ajar-zoo-9d41\n"), 0o644); err != nil {
					return err
				}
				return in.run(ctx, "/usr/lib/postgresql/15/bin/initdb", "-D", in.file("data"), "-U", "postgres",
					"--auth="+auth, "--pwfile="+in.file("pw"), "-N", "--no-instructions")
			},
			argv: func(in *instance) []string {
				return []string{"/usr/lib/postgresql/15/bin/postgres", "-c", "config_file=" + in.file("postgresql.conf")}
			},
		}
	}
	pgSSL := postgres("audit-postgresql-ssltrust", 5434, "trust")
	pgSSL.prepare = func(ctx context.Context, in *instance) error {
		if err := postgres("", 0, "trust").prepare(ctx, in); err != nil {
			return err
		}
		// The server's certificate; its key only the server may read.
		if err := writeServerCerts(ctx, in); err != nil {
			return err
		}
		if err := os.Chmod(in.file("key.pem"), 0o600); err != nil {
			return err
		}
		return chown(in.file("key.pem"), "postgres")
	}
	mariadb := func(name string, port uint16) *daemon {
		return &daemon{
			name: name, pkg: "mariadb-server", product: "MariaDB", reveal: "greeting",
			services: []svcDef{tcp("mysql", "mysql", port)}, owner: "mysql",
			prepare: func(ctx context.Context, in *instance) error {
				return in.run(ctx, "mariadb-install-db", "--defaults-file="+in.file("my.cnf"),
					"--auth-root-authentication-method=socket", "--skip-test-db")
			},
			argv: func(in *instance) []string { return []string{"mariadbd", "--defaults-file=" + in.file("my.cnf")} },
		}
	}
	etcd := func(name string, port uint16) *daemon {
		return &daemon{
			name: name, pkg: "etcd-server", product: "etcd", reveal: "GET /version",
			services: []svcDef{tcp("etcd", "etcd", port), localTCP("peer", port+1)},
			argv:     func(in *instance) []string { return []string{"etcd", "--config-file", in.file("etcd.conf.yml")} },
		}
	}
	mosquitto := func(name string, port uint16) *daemon {
		return &daemon{
			name: name, pkg: "mosquitto", product: "Mosquitto", reveal: "$SYS/broker/version topic",
			services: []svcDef{tcp("mqtt", "mqtt", port)},
			argv:     func(in *instance) []string { return []string{"mosquitto", "-c", in.file("mosquitto.conf")} },
		}
	}
	mosquittoAuth := mosquitto("audit-mosquitto-auth", 1884)
	mosquittoAuth.prepare = func(ctx context.Context, in *instance) error {
		if err := in.run(ctx, "mosquitto_passwd", "-c", "-b", in.file("passwd"), "zoo", "ajar-zoo-18e3"); err != nil {
			return err
		}
		return os.Chmod(in.file("passwd"), 0o644)
	}
	nats := func(name string, port uint16) *daemon {
		return &daemon{
			name: name, pkg: "nats-server", product: "nats-server", reveal: "INFO line",
			services: []svcDef{tcp("nats", "nats", port)},
			argv:     func(in *instance) []string { return []string{"nats-server", "-c", in.file("nats.conf")} },
		}
	}
	natsTLS := nats("audit-nats-tls", 4224)
	natsTLS.prepare = writeServerCerts
	rabbitmq := func(name string, port uint16, node string) *daemon {
		return &daemon{
			name: name, pkg: "rabbitmq-server", product: "RabbitMQ", reveal: "Connection.Start server properties",
			services: []svcDef{tcp("amqp", "amqp", port)}, user: "rabbitmq", owner: "rabbitmq",
			env: func(in *instance) []string {
				return []string{
					"RABBITMQ_MNESIA_BASE=" + in.file("mnesia"), "RABBITMQ_LOG_BASE=" + in.file("log"),
					"RABBITMQ_NODENAME=" + node + "@localhost", "RABBITMQ_CONFIG_FILE=" + in.file("rabbitmq"),
					"RABBITMQ_ENABLED_PLUGINS_FILE=" + in.file("enabled_plugins"), "RABBITMQ_LOGS=-",
					// Two nodes: each its own distribution port.
					"RABBITMQ_DIST_PORT=" + strconv.Itoa(20000+int(port)),
					// Erlang's epmd and distribution port stay on loopback.
					"ERL_EPMD_ADDRESS=127.0.0.1",
					// One scheduler, no busy waiting: two idle brokers
					// should not take the machine's cores.
					"RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-kernel inet_dist_use_interface {127,0,0,1} " +
						"+S 1:1 +sbwt none +sbwtdcpu none +sbwtdio none",
				}
			},
			argv: func(in *instance) []string { return []string{"/usr/lib/rabbitmq/bin/rabbitmq-server"} },
		}
	}
	zookeeper := func(name string, port uint16) *daemon {
		return &daemon{
			name: name, pkg: "zookeeper", product: "Apache ZooKeeper", reveal: "srvr",
			services: []svcDef{tcp("zookeeper", "zookeeper", port)},
			argv: func(in *instance) []string {
				return []string{"java", "-Xmx64m", "-XX:TieredStopAtLevel=1", "-cp", "/etc/zookeeper/conf:/usr/share/java/zookeeper.jar",
					"org.apache.zookeeper.server.quorum.QuorumPeerMain", in.file("zoo.cfg")}
			},
		}
	}
	etcdAuth := etcd("audit-etcd-auth", 2479)
	etcdAuth.prepare = etcdEnableAuth
	etcdAuthGRPC := etcd("audit-etcd-auth-grpc", 2679)
	etcdAuthGRPC.prepare = etcdEnableAuth
	return []*daemon{
		postgres("audit-postgresql-trust", 5432, "trust"),
		postgres("audit-postgresql-scram", 5433, "scram-sha-256"),
		pgSSL,
		mariadb("audit-mariadb-empty", 3306),
		mariadb("audit-mariadb-password", 3307),
		etcd("audit-etcd-open", 2379),
		etcdAuth,
		etcd("audit-etcd-grpc", 2579),
		etcdAuthGRPC,
		mosquitto("audit-mosquitto-anon", 1883),
		mosquittoAuth,
		nats("audit-nats-open", 4222),
		nats("audit-nats-auth", 4223),
		natsTLS,
		rabbitmq("audit-rabbitmq-guest", 5672, "guest"),
		rabbitmq("audit-rabbitmq-default", 5673, "twin"),
		zookeeper("audit-zookeeper-open", 2181),
		zookeeper("audit-zookeeper-auth", 2182),
		{
			name: "audit-docker-tcp", pkg: "docker.io", product: "Docker", reveal: "Server header",
			services: []svcDef{tcp("docker", "docker", 2375)}, tmpfs: []string{"/run"},
			argv: dockerd,
		}, {
			// The twin: TLS with client certificates (--tlsverify).
			name: "audit-docker-tls", pkg: "docker.io", product: "Docker",
			services: []svcDef{tlsTCP("docker", "docker", 2376)}, tmpfs: []string{"/run"},
			prepare: writeServerCerts,
			argv:    dockerd,
		}, {
			// Planted: TLS, but any client is served (--tls without
			// --tlsverify; daemon.json must say "tlsverify": false,
			// or dockerd 20.10 verifies all the same).
			name: "audit-docker-tlsnoverify", pkg: "docker.io", product: "Docker", reveal: "GET /version",
			services: []svcDef{tlsTCP("docker", "docker", 2377)}, tmpfs: []string{"/run"},
			prepare: writeServerCerts,
			argv:    dockerd,
		}, {
			// UDP only (-p 0: no TCP), as memcached before 1.5.6 ran by
			// default.
			name: "audit-memcached-udp", pkg: "memcached", product: "memcached", reveal: "version command",
			services: []svcDef{udp("memcached", "memcached", 11213)},
			argv: func(in *instance) []string {
				return []string{"memcached", "-u", "memcache", "-l", "0.0.0.0", "-p", "0", "-U", in.port("memcached"),
					"-m", "16", "-c", "64"}
			},
		},
	}
}

// dockerd runs the Engine with the daemon's daemon.json. ip netns exec
// mounts a fresh /sys: dockerd wants the cgroup hierarchies there again.
func dockerd(in *instance) []string {
	return []string{"sh", "-c", dockerdCgroups + `exec dockerd --config-file "$1"`, "sh", in.file("daemon.json")}
}

// writeServerCerts makes a CA (ca.pem: the Docker twin's, which also
// signs the clients it accepts) and a server certificate it signs for
// the target's address (cert.pem, key.pem).
func writeServerCerts(_ context.Context, in *instance) error {
	now := time.Now()
	ca, caKey, caDER, err := newCA("ajar audit zoo server CA", x509.ECDSAWithSHA256)
	if err != nil {
		return err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "zoo.test"},
		IPAddresses: []net.IP{net.ParseIP(in.data.Addr)},
		NotBefore:   now.Add(-time.Hour), NotAfter: now.Add(30 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, ca, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	return writePEMs(map[string][]byte{
		in.file("ca.pem"): certPEM(caDER), in.file("cert.pem"): certPEM(der), in.file("key.pem"): keyPEM(key),
	})
}

// etcdEnableAuth prepares the etcd twin: it starts the daemon once, on
// its own, adds the user root (with the root role) and enables
// authentication through the v3 gateway on loopback, and stops it; the
// data directory keeps the setting.
func etcdEnableAuth(ctx context.Context, in *instance) error {
	cfg := in.file("setup.conf.yml") // a twin whose gateway is off once set up
	if _, err := os.Stat(cfg); err != nil {
		cfg = in.file("etcd.conf.yml")
	}
	cmd := in.command("etcd", "--config-file", cfg)
	log, err := os.Create(in.file("setup.log"))
	if err != nil {
		return err
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	addr := "127.0.0.1:" + in.port("etcd")
	steps := [][2]string{
		{"/v3/auth/role/add", `{"name":"root"}`},
		{"/v3/auth/user/add", `{"name":"root","password":"ajar-zoo-3b7e"}`},
		{"/v3/auth/user/grant", `{"user":"root","role":"root"}`},
		{"/v3/auth/enable", `{}`},
	}
	return in.zoo.Bed.InTarget(func() error {
		deadline := time.Now().Add(60 * time.Second)
		for _, s := range steps {
			for {
				err := postLocal(addr, s[0], s[1])
				if err == nil {
					break
				}
				if time.Now().After(deadline) || ctx.Err() != nil {
					return fmt.Errorf("etcd setup %s: %w", s[0], err)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
		return nil
	})
}

// postLocal POSTs a JSON body from the calling thread's namespace and
// wants a 200 (or an "already exists").
func postLocal(addr, path, body string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	// Adding a user hashes its password with bcrypt: seconds on a
	// loaded machine.
	c.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		path, addr, len(body), body)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	// A retry after a lost answer finds its work done.
	if resp.StatusCode != http.StatusOK && !strings.Contains(string(b), "already exists") {
		return fmt.Errorf("%s: %s", resp.Status, head(b))
	}
	return nil
}

// The readiness probe asks memcached over UDP too.
func init() {
	udpRequests["memcached"] = struct {
		request []byte
		check   func([]byte) error
	}{memcachedUDPVersion(), checkMemcachedUDP}
}

// dockerdCgroups mounts the cgroup hierarchies the host has under the
// daemon's own /sys/fs/cgroup (its mount namespace's).
const dockerdCgroups = `set -e
mount -t tmpfs -o mode=0755 cgroup /sys/fs/cgroup
for h in $(awk '$3 == "cgroup" {print $4}' /proc/1/mounts | sed 's/.*,\(name=[a-z]*\|[a-z_]*\)$/\1/' | sort -u); do
  d=/sys/fs/cgroup/${h#name=}; mkdir -p "$d"; mount -t cgroup -o "$h" cgroup "$d"
done
`

// tcpReady holds, by service name, a question for services whose port
// opens before they serve (ZooKeeper answers "not currently serving
// requests" while it loads); written only by init functions.
var tcpReady = map[string]func(net.Conn) error{
	"zookeeper": zookeeperServing,
}

// zookeeperServing asks srvr (a four-letter word every configuration
// allows) and wants the server's version line.
func zookeeperServing(c net.Conn) error {
	if _, err := c.Write([]byte("srvr")); err != nil {
		return err
	}
	b := make([]byte, 64)
	n, err := io.ReadAtLeast(c, b, len("Zookeeper version:"))
	if !strings.HasPrefix(string(b[:n]), "Zookeeper version:") {
		return fmt.Errorf("not serving yet: %q (%v)", head(b[:n]), err)
	}
	return nil
}

// memcachedUDPVersion is memcached's "version" in its UDP frame (request
// id, sequence 0, one datagram), for the zoo's readiness probe.
func memcachedUDPVersion() []byte {
	return append([]byte{0x7a, 0x6f, 0, 0, 0, 1, 0, 0}, "version\r\n"...)
}

func checkMemcachedUDP(b []byte) error {
	if len(b) < 8 || b[0] != 0x7a || b[1] != 0x6f || !strings.HasPrefix(string(b[8:]), "VERSION ") {
		return fmt.Errorf("not memcached's answer: %q", head(b))
	}
	return nil
}

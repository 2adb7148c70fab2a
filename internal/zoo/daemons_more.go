//go:build linux

package zoo

import (
	"context"
	"strconv"
)

// port is the daemon's usual port of a key, for a command line.
func (in *instance) port(key string) string { return strconv.Itoa(int(in.data.Port[key])) }

// catalogData: databases, queues and monitoring.
func catalogData() []*daemon {
	return []*daemon{{
		name: "redis", pkg: "redis-server", product: "Redis", reveal: "INFO command",
		services: []svcDef{tcp("redis", "redis", 6379)}, user: "redis", owner: "redis",
		argv: func(in *instance) []string { return []string{"redis-server", in.file("redis.conf")} },
	}, {
		name: "memcached", pkg: "memcached", product: "memcached", reveal: "version command",
		services: []svcDef{tcp("memcached", "memcached", 11211)},
		argv: func(in *instance) []string {
			return []string{"memcached", "-u", "memcache", "-l", "0.0.0.0", "-p", in.port("memcached"),
				"-U", "0", "-m", "16", "-c", "64"}
		},
	}, {
		name: "postgresql", pkg: "postgresql-15", product: "PostgreSQL", reveal: "protocol", hideVersion: true,
		services: []svcDef{tcp("postgresql", "postgresql", 5432)}, user: "postgres", owner: "postgres",
		prepare: func(ctx context.Context, in *instance) error {
			return in.run(ctx, "/usr/lib/postgresql/15/bin/initdb", "-D", in.file("data"), "-U", "postgres",
				"-A", "trust", "-N", "--no-instructions")
		},
		argv: func(in *instance) []string {
			return []string{"/usr/lib/postgresql/15/bin/postgres", "-c", "config_file=" + in.file("postgresql.conf")}
		},
	}, {
		name: "mariadb", pkg: "mariadb-server", product: "MariaDB", reveal: "greeting",
		services: []svcDef{tcp("mysql", "mysql", 3306)}, owner: "mysql",
		prepare: func(ctx context.Context, in *instance) error {
			return in.run(ctx, "mariadb-install-db", "--defaults-file="+in.file("my.cnf"),
				"--auth-root-authentication-method=socket", "--skip-test-db")
		},
		argv: func(in *instance) []string {
			return []string{"mariadbd", "--defaults-file=" + in.file("my.cnf")}
		},
	}, {
		name: "mosquitto", pkg: "mosquitto", product: "Mosquitto", reveal: "$SYS/broker/version topic",
		services: []svcDef{tcp("mqtt", "mqtt", 1883)},
		argv:     func(in *instance) []string { return []string{"mosquitto", "-c", in.file("mosquitto.conf")} },
	}, {
		name: "rabbitmq", pkg: "rabbitmq-server", product: "RabbitMQ", reveal: "Connection.Start server properties",
		services: []svcDef{tcp("amqp", "amqp", 5672)}, user: "rabbitmq", owner: "rabbitmq",
		env: func(in *instance) []string {
			return []string{
				"RABBITMQ_MNESIA_BASE=" + in.file("mnesia"), "RABBITMQ_LOG_BASE=" + in.file("log"),
				"RABBITMQ_NODENAME=zoo@localhost", "RABBITMQ_CONFIG_FILE=" + in.file("rabbitmq"),
				"RABBITMQ_ENABLED_PLUGINS_FILE=" + in.file("enabled_plugins"), "RABBITMQ_LOGS=-",
				// Erlang's epmd and distribution port stay on loopback.
				"ERL_EPMD_ADDRESS=127.0.0.1",
				"RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-kernel inet_dist_use_interface {127,0,0,1}",
			}
		},
		argv: func(in *instance) []string { return []string{"/usr/lib/rabbitmq/bin/rabbitmq-server"} },
	}, {
		name: "nats", pkg: "nats-server", product: "nats-server", reveal: "INFO line",
		services: []svcDef{tcp("nats", "nats", 4222)},
		argv:     func(in *instance) []string { return []string{"nats-server", "-c", in.file("nats.conf")} },
	}, {
		name: "etcd", pkg: "etcd-server", product: "etcd", reveal: "GET /version",
		services: []svcDef{tcp("etcd", "etcd", 2379), localTCP("peer", 2380)},
		argv: func(in *instance) []string {
			return []string{"etcd", "--config-file", in.file("etcd.conf.yml")}
		},
	}, {
		name: "influxdb", pkg: "influxdb", product: "InfluxDB", reveal: "X-Influxdb-Version header",
		services: []svcDef{tcp("http", "influxdb", 8086), localTCP("rpc", 8088)},
		argv:     func(in *instance) []string { return []string{"influxd", "-config", in.file("influxdb.conf")} },
	}, {
		name: "node-exporter", pkg: "prometheus-node-exporter", product: "Prometheus Node Exporter",
		reveal: "node_exporter_build_info in /metrics", services: []svcDef{tcp("metrics", "prometheus", 9100)},
		argv: func(in *instance) []string {
			return []string{"prometheus-node-exporter", "--web.listen-address=0.0.0.0:" + in.port("metrics")}
		},
	}}
}

// catalogNet: directories, names, time, RPC, SIP, proxies and chat.
func catalogNet() []*daemon {
	return []*daemon{{
		name: "slapd", pkg: "slapd", product: "OpenLDAP", reveal: "root DSE objectClass", hideVersion: true,
		services: []svcDef{tcp("ldap", "ldap", 389)},
		prepare:  func(_ context.Context, in *instance) error { return in.mkdirs("data") },
		argv: func(in *instance) []string {
			return []string{"slapd", "-d", "0", "-h", "ldap://0.0.0.0:" + in.port("ldap") + "/", "-f", in.file("slapd.conf")}
		},
	}, {
		name: "dnsmasq", pkg: "dnsmasq-base", product: "dnsmasq", reveal: "version.bind",
		services: []svcDef{tcp("dns", "dns", 53), udp("dns", "dns", 53)},
		argv:     func(in *instance) []string { return []string{"dnsmasq", "-k", "-C", in.file("dnsmasq.conf")} },
	}, {
		name: "snmpd", pkg: "snmpd", product: "Net-SNMP", reveal: "versionTag OID 1.3.6.1.4.1.2021.100.2.0",
		services: []svcDef{udp("snmp", "snmp", 161)},
		env:      func(in *instance) []string { return []string{"SNMP_PERSISTENT_DIR=" + in.file("persist")} },
		argv: func(in *instance) []string {
			return []string{"snmpd", "-f", "-Lo", "-C", "-I", "-smux", "-c", in.file("snmpd.conf"), "-p", in.file("snmpd.pid")}
		},
	}, {
		name: "chrony", pkg: "chrony", product: "chrony",
		services: []svcDef{udp("ntp", "ntp", 123)},
		// Its command socket lives in /run/chrony: one per zoo.
		tmpfs: []string{"/run"}, mkdirs: []string{"/run/chrony"},
		argv: func(in *instance) []string {
			return []string{"chronyd", "-d", "-x", "-f", in.file("chrony.conf")}
		},
	}, {
		name: "rpcbind", pkg: "rpcbind", product: "rpcbind",
		services: []svcDef{tcp("rpcbind", "rpcbind", 111), udp("rpcbind", "rpcbind", 111)},
		tmpfs:    []string{"/run"}, mkdirs: []string{"/run/rpcbind"},
		argv: func(in *instance) []string { return []string{"rpcbind", "-f"} },
	}, {
		name: "kamailio", pkg: "kamailio", product: "Kamailio", reveal: "Server header",
		services: []svcDef{tcp("sip", "sip", 5060), udp("sip", "sip", 5060)},
		prepare:  func(_ context.Context, in *instance) error { return in.mkdirs("run") },
		argv: func(in *instance) []string {
			return []string{"kamailio", "-DD", "-E", "-f", in.file("kamailio.cfg"), "-Y", in.file("run"),
				"-m", "32", "-M", "4"}
		},
	}, {
		name: "squid", pkg: "squid", product: "Squid", reveal: "Server header of its error pages",
		services: []svcDef{tcp("proxy", "http-proxy", 3128)}, owner: "proxy",
		// Squid names its shared memory after itself: one /dev/shm per zoo.
		tmpfs: []string{"/run", "/dev/shm"},
		argv:  func(in *instance) []string { return []string{"squid", "-N", "-f", in.file("squid.conf")} },
	}, {
		name: "tinyproxy", pkg: "tinyproxy", product: "tinyproxy", reveal: "Server header of its error pages",
		services: []svcDef{tcp("proxy", "http-proxy", 8888)}, owner: "tinyproxy",
		argv: func(in *instance) []string { return []string{"tinyproxy", "-d", "-c", in.file("tinyproxy.conf")} },
	}, {
		name: "dante", pkg: "dante-server", product: "Dante",
		services: []svcDef{tcp("socks", "socks5", 1080)},
		argv: func(in *instance) []string {
			return []string{"danted", "-f", in.file("danted.conf"), "-p", in.file("danted.pid")}
		},
	}, {
		name: "ngircd", pkg: "ngircd", product: "ngIRCd", reveal: "RPL_YOURHOST after registration",
		services: []svcDef{tcp("irc", "irc", 6667)},
		argv:     func(in *instance) []string { return []string{"ngircd", "-n", "-f", in.file("ngircd.conf")} },
	}, {
		name: "prosody", pkg: "prosody", product: "Prosody",
		services: []svcDef{tcp("xmpp", "xmpp", 5222)}, user: "prosody", owner: "prosody",
		prepare: func(_ context.Context, in *instance) error { return in.mkdirs("data") },
		argv: func(in *instance) []string {
			return []string{"prosody", "-F", "--config", in.file("prosody.cfg.lua")}
		},
	}}
}

//go:build linux

package zoo

import (
	"context"
	"os"
	"slices"
	"strings"
)

// catalogSecond lists the second zoo: daemons the first does not run,
// that no detector was written against, each on its usual port (the
// shuffled layout moves them as it moves the first's). Keep the packages
// in step with scripts/zoo-deps.sh.
func catalogSecond() []*daemon {
	return slices.Concat(secondWeb(), secondOther(), secondSmall(), secondTools(), secondMonitor(), secondNet())
}

// secondWeb: web servers, a cache, a proxy and a remote shell.
func secondWeb() []*daemon {
	return []*daemon{{
		name: "lighttpd", pkg: "lighttpd", product: "lighttpd", reveal: "Server header",
		services: []svcDef{tcp("http", "http", 80)},
		prepare: func(_ context.Context, in *instance) error {
			return writeSite(in, "lighttpd")
		},
		argv: func(in *instance) []string {
			return []string{"lighttpd", "-D", "-f", in.file("lighttpd.conf")}
		},
	}, {
		name: "webfs", pkg: "webfs", product: "webfs", reveal: "Server header",
		services: []svcDef{tcp("http", "http", 8000)},
		prepare: func(_ context.Context, in *instance) error {
			return writeSite(in, "webfs")
		},
		argv: func(in *instance) []string {
			return []string{"webfsd", "-F", "-p", in.port("http"), "-r", in.file("htdocs"), "-f", "index.html"}
		},
	}, {
		name: "mini-httpd", pkg: "mini-httpd", product: "mini_httpd", reveal: "Server header",
		services: []svcDef{tcp("http", "http", 8080)},
		prepare: func(_ context.Context, in *instance) error {
			return writeSite(in, "mini-httpd")
		},
		argv: func(in *instance) []string {
			return []string{"mini_httpd", "-D", "-p", in.port("http"), "-d", in.file("htdocs"), "-u", "nobody",
				"-l", in.file("access.log")}
		},
	}, {
		// Varnish with a backend that is never there: every answer is
		// its own 503, which names it in Server and Via.
		name: "varnish", pkg: "varnish", product: "Varnish", reveal: "Via header",
		services: []svcDef{tcp("http", "http", 6081), localTCP("admin", 6082)},
		version:  majorMinor,
		argv: func(in *instance) []string {
			return []string{"varnishd", "-F", "-a", "0.0.0.0:" + in.port("http"), "-T", "127.0.0.1:" + in.port("admin"),
				"-b", "127.0.0.1:9", "-n", in.file("work"), "-s", "malloc,16m"}
		},
	}, {
		name: "privoxy", pkg: "privoxy", product: "",
		services: []svcDef{tcp("proxy", "http-proxy", 8118)},
		argv: func(in *instance) []string {
			return []string{"privoxy", "--no-daemon", in.file("privoxy.conf")}
		},
	}, {
		name: "cups", pkg: "cups-daemon", product: "CUPS", reveal: "Server header",
		services: []svcDef{tcp("ipp", "ipp", 631)},
		prepare: func(_ context.Context, in *instance) error {
			return in.mkdirs("cache", "state", "spool", "tmp")
		},
		argv: func(in *instance) []string {
			return []string{"cupsd", "-f", "-c", in.file("cupsd.conf"), "-s", in.file("cups-files.conf")}
		},
	}, {
		name: "dropbear", pkg: "dropbear-bin", product: "Dropbear sshd", reveal: "banner",
		services: []svcDef{tcp("ssh", "ssh", 22)},
		prepare: func(ctx context.Context, in *instance) error {
			return in.run(ctx, "dropbearkey", "-t", "ed25519", "-f", in.file("host_key"))
		},
		argv: func(in *instance) []string {
			return []string{"dropbear", "-F", "-E", "-p", in.port("ssh"), "-r", in.file("host_key")}
		},
	}}
}

// secondOther: name servers, job queues, and a queue inside TLS.
func secondOther() []*daemon {
	return []*daemon{{
		name: "unbound", pkg: "unbound", product: "Unbound", reveal: "version.bind",
		services: []svcDef{tcp("dns", "dns", 53)}, // TCP only: nsd is the UDP one
		argv: func(in *instance) []string {
			return []string{"unbound", "-d", "-c", in.file("unbound.conf")}
		},
	}, {
		name: "nsd", pkg: "nsd", product: "NSD", reveal: "version.bind",
		services: []svcDef{tcp("dns", "dns", 1053), udp("dnsu", "dns", 1053)},
		prepare: func(_ context.Context, in *instance) error {
			return in.mkdirs("db")
		},
		argv: func(in *instance) []string {
			return []string{"nsd", "-d", "-c", in.file("nsd.conf")}
		},
	}, {
		name: "beanstalkd", pkg: "beanstalkd", product: "beanstalkd", reveal: "stats command",
		services: []svcDef{tcp("beanstalk", "beanstalk", 11300)},
		argv: func(in *instance) []string {
			return []string{"beanstalkd", "-l", "0.0.0.0", "-p", in.port("beanstalk")}
		},
	}, {
		name: "gearmand", pkg: "gearman-job-server", product: "Gearman job server", reveal: "version command",
		services: []svcDef{tcp("gearman", "gearman", 4730)},
		argv: func(in *instance) []string {
			return []string{"gearmand", "-L", "0.0.0.0", "-p", in.port("gearman"), "-l", "stderr",
				"--threads=1", "--verbose=ERROR"}
		},
	}, {
		// stunnel's backend: on loopback, on a port no layout moves.
		name: "beanstalkd-backend", pkg: "beanstalkd", product: "beanstalkd",
		services: []svcDef{localTCP("backend", 11310)},
		argv: func(in *instance) []string {
			return []string{"beanstalkd", "-l", "127.0.0.1", "-p", in.port("backend")}
		},
	}, {
		// stunnel wraps a beanstalkd in TLS; the truth is beanstalkd's,
		// seen through the tunnel.
		name: "stunnel", pkg: "stunnel4", truthPkg: "beanstalkd", product: "beanstalkd",
		reveal: "stats command, through TLS", needs: []string{"beanstalkd-backend"},
		services: []svcDef{tlsTCP("beanstalks", "beanstalk", 11400)},
		argv: func(in *instance) []string {
			return []string{"stunnel4", in.file("stunnel.conf")}
		},
	}}
}

// secondSmall: gopher, inetd's small services, ident and STUN.
func secondSmall() []*daemon {
	return []*daemon{{
		name: "gophernicus", pkg: "gophernicus", product: "Gophernicus", reveal: "menu footer",
		services: []svcDef{tcp("gopher", "gopher", 70)},
		tmpfs:    []string{"/run"},
		prepare: func(_ context.Context, in *instance) error {
			if err := in.mkdirs("root"); err != nil {
				return err
			}
			return os.WriteFile(in.file("root/gophermap"), []byte("iajar zoo: gophernicus\t\terror.host\t1\r\n"), 0o644)
		},
		argv: func(in *instance) []string {
			return []string{"inetd", "-d", in.file("inetd.conf")}
		},
	}, {
		// openbsd-inetd's own small services (RFC 862, 864, 867, 868).
		name: "inetd-internal", pkg: "openbsd-inetd", product: "",
		services: []svcDef{tcp("echo", "echo", 7), tcp("daytime", "daytime", 13), tcp("chargen", "chargen", 19),
			tcp("time", "time", 37), udp("echou", "echo", 7), udp("daytimeu", "daytime", 13),
			udp("chargenu", "chargen", 19), udp("timeu", "time", 37)},
		tmpfs: []string{"/run"},
		argv: func(in *instance) []string {
			return []string{"inetd", "-d", in.file("inetd.conf")}
		},
	}, {
		// coturn's STUN on UDP only: its binding response names it.
		name: "coturn", pkg: "coturn", product: "coturn", reveal: "SOFTWARE attribute",
		services: []svcDef{udp("stun", "stun", 3478)},
		argv: func(in *instance) []string {
			return []string{"turnserver", "-n", "--no-tcp", "--no-tls", "--no-dtls", "--no-cli", "-z",
				"-L", "0.0.0.0", "-p", in.port("stun"), "--log-file", "stdout", "--simple-log",
				"--pidfile", in.file("turnserver.pid"), "--min-port", "49152", "--max-port", "49200",
				"--userdb", in.file("turndb")}
		},
	}, {
		name: "oidentd", pkg: "oidentd", product: "",
		services: []svcDef{tcp("ident", "ident", 113)},
		argv: func(in *instance) []string {
			return []string{"oidentd", "-i", "-S", "-p", in.port("ident"), "-a", "0.0.0.0", "-u", "root", "-g", "root"}
		},
	}}
}

// writeSite makes the daemon's document root with a page naming it.
func writeSite(in *instance, name string) error {
	if err := in.mkdirs("htdocs"); err != nil {
		return err
	}
	return os.WriteFile(in.file("htdocs/index.html"), []byte("ajar zoo: "+name+"\n"), 0o644)
}

// majorMinor keeps "7.1" of "7.1.1": what Varnish says of itself.
func majorMinor(v string) string {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return v
	}
	return parts[0] + "." + parts[1]
}

//go:build linux

package zoo

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
)

// auditTruthNet is the truth table of the audit zoo's network services
// (audit/netsvc) and web pages (audit/web).
func auditTruthNet() []Risk {
	return []Risk{
		{"audit-tinyproxy-open", 8888, "http-proxy-open", "open-proxy", "high"},
		{"audit-tinyproxy-closed", 8889, "", "open-proxy", ""},
		{"audit-dante-open", 1080, "socks-open", "open-proxy", "high"},
		{"audit-dante-auth", 1081, "", "open-proxy", ""},
		{"audit-apache-open", 80, "http-directory-listing", "info-leak", "low"},
		{"audit-apache-open", 80, "http-server-status", "exposed-admin", "medium"},
		{"audit-apache-open", 80, "http-version-banner", "info-leak", "low"},
		{"audit-apache-open", 8000, "http-basic-auth-cleartext", "cleartext", "medium"},
		{"audit-apache-hard", 8080, "", "info-leak", ""},
		{"audit-apache-hard", 8080, "", "exposed-admin", ""},
		{"audit-apache-hard", 8080, "", "cleartext", ""},
		{"audit-unbound-open", 53, "dns-open-resolver", "open-resolver", "high"},
		{"audit-unbound-local", 8053, "", "open-resolver", ""},
		{"audit-dovecot-plain", 143, "imap-cleartext-login", "cleartext", "medium"},
		{"audit-dovecot-plain", 110, "pop3-cleartext-login", "cleartext", "medium"},
		{"audit-dovecot-tls", 1143, "", "cleartext", ""},
		{"audit-dovecot-tls", 1110, "", "cleartext", ""},
		{"audit-exim4-relay", 25, "smtp-open-relay", "open-relay", "high"},
		{"audit-exim4-closed", 2525, "", "open-relay", ""},
		{"audit-samba-nt1", 445, "smb-v1-enabled", "known-vulnerability", "medium"},
		{"audit-samba-nt1", 445, "smb-signing-not-required", "cleartext", "medium"},
		{"audit-samba-signed", 1445, "", "known-vulnerability", ""},
		{"audit-samba-signed", 1445, "", "cleartext", ""},
		{"audit-xrdp-rdp", 3389, "rdp-no-nla", "no-auth", "medium"},
		{"audit-xrdp-rdp", 3389, "rdp-standard-security", "weak-tls", "medium"},
		{"audit-xrdp-tls", 3390, "", "weak-tls", ""},
		{"audit-xvfb-open", 6011, "x11-open", "no-auth", "critical"},
		{"audit-xvfb-closed", 6012, "", "no-auth", ""},
		{"audit-prometheus-open", 9090, "http-pprof-exposed", "exposed-admin", "medium"},
		{"audit-prometheus-auth", 9091, "", "exposed-admin", ""},
		{"audit-prometheus-auth", 9091, "", "cleartext", ""},
		// Authoritative only: the reverse zone the resolver is asked for.
		{"audit-nsd-reverse", 5300, "", "open-resolver", ""},
	}
}

// catalogAuditNet lists the audit zoo's network services and web pages,
// each risky daemon next to its hardened twin. Keep the packages in step
// with scripts/zoo-deps.sh.
func catalogAuditNet() []*daemon {
	tinyproxy := func(name string, port uint16) *daemon {
		return &daemon{
			name: name, pkg: "tinyproxy", product: "tinyproxy", reveal: "Server header of its error pages",
			services: []svcDef{tcp("proxy", "http-proxy", port)}, owner: "tinyproxy",
			argv: func(in *instance) []string { return []string{"tinyproxy", "-d", "-c", in.file("tinyproxy.conf")} },
		}
	}
	dante := func(name string, port uint16) *daemon {
		return &daemon{
			name: name, pkg: "dante-server", product: "Dante",
			services: []svcDef{tcp("socks", "socks5", port)},
			argv: func(in *instance) []string {
				return []string{"danted", "-f", in.file("danted.conf"), "-p", in.file("danted.pid")}
			},
		}
	}
	apache := func(name string, svcs ...svcDef) *daemon {
		return &daemon{
			name: name, pkg: "apache2", product: "Apache httpd", reveal: "Server header",
			services: svcs,
			prepare: func(_ context.Context, in *instance) error {
				if err := in.mkdirs("htdocs"); err != nil {
					return err
				}
				for file, data := range map[string]string{
					"htdocs/backup.tar.gz": "not really\n", "htdocs/notes.txt": "ajar audit zoo\n",
					// zoo:ajar-zoo-b4c1 (apr1), never sent by ajar.
					"htpasswd": "zoo:$apr1$z8Qv1zWk$8m4yYkCk1oPsa1Zk7v0tS/\n",
				} {
					if err := os.WriteFile(in.file(file), []byte(data), 0o644); err != nil {
						return err
					}
				}
				return nil
			},
			argv: func(in *instance) []string {
				return []string{"apache2", "-DFOREGROUND", "-f", in.file("apache2.conf")}
			},
		}
	}
	unbound := func(name string, port uint16) *daemon {
		return &daemon{
			name: name, pkg: "unbound", product: "Unbound", reveal: "version.bind",
			services: []svcDef{tcp("dns", "dns", port), udp("dnsu", "dns", port)},
			needs:    []string{"audit-nsd-reverse"},
			argv:     func(in *instance) []string { return []string{"unbound", "-d", "-c", in.file("unbound.conf")} },
		}
	}
	dovecot := func(name string, imap, pop3 uint16) *daemon {
		return &daemon{
			name: name, pkg: "dovecot-imapd", truthPkg: "dovecot-core", product: "Dovecot",
			reveal: "greeting", hideVersion: true,
			services: []svcDef{tcp("imap", "imap", imap), tcp("pop3", "pop3", pop3)},
			prepare:  func(_ context.Context, in *instance) error { return in.mkdirs("run", "state", "mail") },
			argv:     func(in *instance) []string { return []string{"dovecot", "-F", "-c", in.file("dovecot.conf")} },
		}
	}
	exim := func(name string, port uint16) *daemon {
		return &daemon{
			name: name, pkg: "exim4-daemon-light", product: "Exim", reveal: "banner",
			services: []svcDef{tcp("smtp", "smtp", port)}, owner: "Debian-exim",
			prepare: func(_ context.Context, in *instance) error { return in.mkdirs("spool", "log") },
			argv:    func(in *instance) []string { return []string{"exim4", "-bdf", "-C", in.file("exim4.conf")} },
		}
	}
	samba := func(name string, port uint16) *daemon {
		return &daemon{
			name: name, pkg: "samba", product: "Samba",
			services: []svcDef{tcp("smb", "smb", port)},
			prepare: func(_ context.Context, in *instance) error {
				return in.mkdirs("lock", "state", "cache", "private", "run", "ncalrpc", "bind-dns", "share")
			},
			argv: func(in *instance) []string {
				return []string{"smbd", "--foreground", "--no-process-group", "--debug-stdout",
					"--configfile=" + in.file("smb.conf")}
			},
		}
	}
	xrdp := func(name string, port uint16) *daemon {
		return &daemon{
			name: name, pkg: "xrdp", product: "xrdp",
			services: []svcDef{tcp("rdp", "rdp", port)},
			tmpfs:    []string{"/run"}, mkdirs: []string{"/run/xrdp/sockdir"},
			argv: func(in *instance) []string {
				return []string{"xrdp", "--nodaemon", "--config", in.file("xrdp.ini")}
			},
		}
	}
	// Displays 11 and 12: an X server's abstract socket is per network
	// namespace, and the VNC daemons hold :1 and :2.
	xvfb := func(name string, port uint16, access ...string) *daemon {
		return &daemon{
			name: name, pkg: "xvfb", product: "X.Org",
			services: []svcDef{tcp("x11", "x11", port)},
			tmpfs:    []string{"/tmp"}, // its lock file
			argv: func(in *instance) []string {
				return append([]string{"Xvfb", ":" + strconv.Itoa(int(port)-6000), "-listen", "tcp",
					"-nolisten", "unix", "-screen", "0", "320x200x8"}, access...)
			},
		}
	}
	prometheus := func(name string, svc svcDef, args ...string) *daemon {
		return &daemon{
			name: name, pkg: "prometheus", product: "Prometheus",
			services: []svcDef{svc},
			argv: func(in *instance) []string {
				return append([]string{"prometheus", "--config.file=" + in.file("prometheus.yml"),
					"--storage.tsdb.path=" + in.file("data"), "--web.listen-address=0.0.0.0:" + in.port("http")},
					args...)
			},
		}
	}
	twin := prometheus("audit-prometheus-auth", tlsTCP("http", "http", 9091))
	twin.argv = func(in *instance) []string {
		return []string{"prometheus", "--config.file=" + in.file("prometheus.yml"),
			"--storage.tsdb.path=" + in.file("data"), "--web.listen-address=0.0.0.0:" + in.port("http"),
			"--web.config.file=" + in.file("web.yml")}
	}
	return []*daemon{
		prometheus("audit-prometheus-open", tcp("http", "http", 9090)),
		twin,
		// -ac: access control off, every client welcome.
		xvfb("audit-xvfb-open", 6011, "-ac"),
		// The twin: access control on, no host listed, no cookie given out.
		xvfb("audit-xvfb-closed", 6012),
		xrdp("audit-xrdp-rdp", 3389),
		xrdp("audit-xrdp-tls", 3390),
		samba("audit-samba-nt1", 445),
		samba("audit-samba-signed", 1445),
		exim("audit-exim4-relay", 25),
		exim("audit-exim4-closed", 2525),
		dovecot("audit-dovecot-plain", 143, 110),
		dovecot("audit-dovecot-tls", 1143, 1110),
		unbound("audit-unbound-open", 53),
		unbound("audit-unbound-local", 8053),
		{
			name: "audit-nsd-reverse", pkg: "nsd", product: "NSD", reveal: "version.bind",
			services: []svcDef{tcp("dns", "dns", 5300), udp("dnsu", "dns", 5300)},
			prepare:  func(_ context.Context, in *instance) error { return in.mkdirs("db") },
			argv:     func(in *instance) []string { return []string{"nsd", "-d", "-c", in.file("nsd.conf")} },
		},
		tinyproxy("audit-tinyproxy-open", 8888),
		tinyproxy("audit-tinyproxy-closed", 8889),
		dante("audit-dante-open", 1080),
		dante("audit-dante-auth", 1081),
		apache("audit-apache-open", tcp("http", "http", 80), tcp("login", "http", 8000)),
		apache("audit-apache-hard", tcp("http", "http", 8080)),
	}
}

// Dovecot's login processes hold their greeting until its auth process is
// up, seconds after the port opens on a loaded machine: the readiness
// probe waits for the greeting, as a client would.
func init() {
	tcpReady["imap"] = greets("* OK")
	tcpReady["pop3"] = greets("+OK")
}

// greets wants the server's first line to begin with prefix.
func greets(prefix string) func(net.Conn) error {
	return func(c net.Conn) error {
		line, err := bufio.NewReader(io.LimitReader(c, 512)).ReadString('\n')
		if !strings.HasPrefix(line, prefix) {
			return fmt.Errorf("no greeting yet: %q (%v)", head([]byte(line)), err)
		}
		return nil
	}
}

//go:build linux

package zoo

import (
	"context"
	"os"
	"path/filepath"
	"slices"

	"github.com/ajarsec/ajar/portspec"
)

// catalog lists the zoo's daemons. Each is a fresh value: instances may
// not share state. Keep the packages in step with scripts/zoo-deps.sh.
func catalog() []*daemon {
	return slices.Concat(catalogWeb(), catalogMail(), catalogData(), catalogNet())
}

func tcp(key, name string, port uint16) svcDef {
	return svcDef{key: key, name: name, proto: portspec.TCP, port: port}
}

func udp(key, name string, port uint16) svcDef {
	return svcDef{key: key, name: name, proto: portspec.UDP, port: port}
}

func tlsTCP(key, name string, port uint16) svcDef {
	s := tcp(key, name, port)
	s.tls = true
	return s
}

func localTCP(key string, port uint16) svcDef {
	s := tcp(key, "", port)
	s.local = true
	return s
}

// file is the path of a rendered template or state file of the daemon.
func (in *instance) file(name string) string { return filepath.Join(in.dir, name) }

// catalogWeb: remote shells, the web and FTP.
func catalogWeb() []*daemon {
	return []*daemon{{
		name: "openssh", pkg: "openssh-server", product: "OpenSSH", reveal: "banner",
		services: []svcDef{tcp("ssh", "ssh", 22)},
		tmpfs:    []string{"/run"}, mkdirs: []string{"/run/sshd"},
		prepare: func(ctx context.Context, in *instance) error {
			return in.run(ctx, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", in.file("ssh_host_ed25519_key"))
		},
		argv: func(in *instance) []string {
			return []string{"/usr/sbin/sshd", "-D", "-e", "-f", in.file("sshd_config")}
		},
	}, {
		name: "nginx", pkg: "nginx", product: "nginx", reveal: "Server header",
		services: []svcDef{tcp("http", "http", 80), tlsTCP("https", "http", 443),
			{key: "expired", name: "http", proto: portspec.TCP, port: 4443, tls: true, expired: true},
			localTCP("backend", 8079)},
		argv: func(in *instance) []string {
			return []string{"nginx", "-c", in.file("nginx.conf"), "-e", in.file("error.log")}
		},
	}, {
		name: "apache2", pkg: "apache2", product: "Apache httpd", reveal: "Server header",
		services: []svcDef{tcp("http", "http", 8081)},
		prepare: func(_ context.Context, in *instance) error {
			if err := in.mkdirs("htdocs"); err != nil {
				return err
			}
			return os.WriteFile(in.file("htdocs/index.html"), []byte("ajar zoo: apache\n"), 0o644)
		},
		argv: func(in *instance) []string {
			return []string{"apache2", "-DFOREGROUND", "-f", in.file("apache2.conf")}
		},
	}, {
		name: "haproxy", pkg: "haproxy", truthPkg: "nginx", product: "nginx",
		reveal: "Server header (nginx's, passed on by haproxy)", needs: []string{"nginx"},
		services: []svcDef{tlsTCP("https", "http", 8443)},
		argv: func(in *instance) []string {
			return []string{"haproxy", "-db", "-f", in.file("haproxy.cfg")}
		},
	}, {
		name: "vsftpd", pkg: "vsftpd", product: "vsftpd", reveal: "banner",
		services: []svcDef{tcp("ftp", "ftp", 21)},
		prepare: func(_ context.Context, in *instance) error {
			return in.mkdirs("ftp", "empty")
		},
		argv: func(in *instance) []string {
			return []string{"vsftpd", in.file("vsftpd.conf")}
		},
	}}
}

// catalogMail: mail, file sharing and remote desktops.
func catalogMail() []*daemon {
	return []*daemon{{
		name: "exim4", pkg: "exim4-daemon-light", product: "Exim", reveal: "banner",
		services: []svcDef{tcp("smtp", "smtp", 25)}, owner: "Debian-exim",
		prepare: func(_ context.Context, in *instance) error {
			return in.mkdirs("spool", "log")
		},
		argv: func(in *instance) []string {
			return []string{"exim4", "-bdf", "-C", in.file("exim4.conf")}
		},
	}, {
		name: "dovecot", pkg: "dovecot-imapd", truthPkg: "dovecot-core", product: "Dovecot",
		reveal: "greeting", hideVersion: true,
		services: []svcDef{tcp("pop3", "pop3", 110), tcp("imap", "imap", 143),
			tlsTCP("imaps", "imap", 993), tlsTCP("pop3s", "pop3", 995)},
		prepare: func(_ context.Context, in *instance) error {
			return in.mkdirs("run", "state", "mail")
		},
		argv: func(in *instance) []string {
			return []string{"dovecot", "-F", "-c", in.file("dovecot.conf")}
		},
	}, {
		name: "telnet", pkg: "inetutils-telnetd", product: "inetutils telnetd",
		services: []svcDef{tcp("telnet", "telnet", 23)}, tmpfs: []string{"/run"},
		argv: func(in *instance) []string {
			return []string{"inetd", "-d", in.file("inetd.conf")}
		},
	}, {
		name: "vnc", pkg: "tigervnc-standalone-server", product: "TigerVNC",
		services: []svcDef{tcp("vnc", "vnc", 5901)},
		// Its lock file and sockets go to a /tmp of its own.
		tmpfs: []string{"/tmp"},
		argv: func(in *instance) []string {
			return []string{"Xtigervnc", ":1", "-rfbport", in.port("vnc"), "-SecurityTypes", "None",
				"-nolisten", "unix", "-nolisten", "tcp", "-localhost=0", "-interface", "0.0.0.0",
				"-geometry", "640x480", "-depth", "16", "-desktop", "ajar zoo"}
		},
	}, {
		name: "xrdp", pkg: "xrdp", product: "xrdp",
		services: []svcDef{tcp("rdp", "rdp", 3389)},
		tmpfs:    []string{"/run"}, mkdirs: []string{"/run/xrdp/sockdir"},
		argv: func(in *instance) []string {
			return []string{"xrdp", "--nodaemon", "--config", in.file("xrdp.ini")}
		},
	}, {
		name: "samba", pkg: "samba", product: "Samba",
		services: []svcDef{tcp("smb", "smb", 445)},
		prepare: func(_ context.Context, in *instance) error {
			return in.mkdirs("lock", "state", "cache", "private", "run", "ncalrpc", "bind-dns", "share")
		},
		argv: func(in *instance) []string {
			return []string{"smbd", "--foreground", "--no-process-group", "--debug-stdout",
				"--configfile=" + in.file("smb.conf")}
		},
	}, {
		name: "rsync", pkg: "rsync", product: "rsync", reveal: "greeting (protocol version only)", hideVersion: true,
		services: []svcDef{tcp("rsync", "rsync", 873)},
		prepare: func(_ context.Context, in *instance) error {
			return in.mkdirs("share")
		},
		argv: func(in *instance) []string {
			return []string{"rsync", "--daemon", "--no-detach", "--config=" + in.file("rsyncd.conf"),
				"--port=" + in.port("rsync"), "--address=0.0.0.0"}
		},
	}}
}

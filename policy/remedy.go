package policy

import (
	"fmt"
	"strings"

	"github.com/ajarsec/ajar/record"
)

// loopbackDirectives are the configuration lines that bind common
// daemons to loopback, by process name (or service name).
var loopbackDirectives = map[string]string{
	"sshd":            "ListenAddress 127.0.0.1 in /etc/ssh/sshd_config, then systemctl restart ssh",
	"ssh":             "ListenAddress 127.0.0.1 in /etc/ssh/sshd_config, then systemctl restart ssh",
	"nginx":           "listen 127.0.0.1:%d; in the server block (/etc/nginx/sites-enabled/*), then systemctl reload nginx",
	"apache2":         "Listen 127.0.0.1:%d in /etc/apache2/ports.conf, then systemctl reload apache2",
	"httpd":           "Listen 127.0.0.1:%d in httpd.conf, then reload httpd",
	"postgres":        "listen_addresses = 'localhost' in postgresql.conf, then restart PostgreSQL",
	"postgresql":      "listen_addresses = 'localhost' in postgresql.conf, then restart PostgreSQL",
	"mysqld":          "bind-address = 127.0.0.1 under [mysqld] (/etc/mysql/*.cnf), then restart it",
	"mariadbd":        "bind-address = 127.0.0.1 under [mysqld] (/etc/mysql/mariadb.conf.d/50-server.cnf), then restart it",
	"mysql":           "bind-address = 127.0.0.1 under [mysqld] (/etc/mysql/*.cnf), then restart it",
	"redis-server":    "bind 127.0.0.1 -::1 in /etc/redis/redis.conf, then systemctl restart redis-server",
	"redis":           "bind 127.0.0.1 -::1 in /etc/redis/redis.conf, then systemctl restart redis-server",
	"memcached":       "-l 127.0.0.1 in /etc/memcached.conf, then systemctl restart memcached",
	"mongod":          "net.bindIp: 127.0.0.1 in /etc/mongod.conf, then restart mongod",
	"named":           "listen-on { 127.0.0.1; }; listen-on-v6 { ::1; }; in named.conf.options, then rndc reconfig",
	"dnsmasq":         "listen-address=127.0.0.1 and bind-interfaces in /etc/dnsmasq.conf, then restart dnsmasq",
	"slapd":           "SLAPD_SERVICES=\"ldap://127.0.0.1/ ldapi:///\" in /etc/default/slapd, then restart slapd",
	"vsftpd":          "listen_address=127.0.0.1 in /etc/vsftpd.conf, then restart vsftpd",
	"master":          "inet_interfaces = loopback-only in /etc/postfix/main.cf, then postfix reload",
	"exim4":           "dc_local_interfaces='127.0.0.1 ; ::1' in /etc/exim4/update-exim4.conf.conf, then update-exim4.conf",
	"cupsd":           "Listen localhost:631 in /etc/cups/cupsd.conf (remove Port 631), then restart cups",
	"rpcbind":         "-h 127.0.0.1 in /etc/default/rpcbind (OPTIONS), then restart rpcbind",
	"node_exporter":   "--web.listen-address=127.0.0.1:%d on its command line",
	"prometheus":      "--web.listen-address=127.0.0.1:%d on its command line",
	"grafana-server":  "http_addr = 127.0.0.1 under [server] in grafana.ini",
	"docker-proxy":    "publish on loopback only: docker run -p 127.0.0.1:%d:PORT (or ports: \"127.0.0.1:%d:PORT\" in compose)",
	"snmpd":           "agentaddress udp:127.0.0.1:161 in /etc/snmp/snmpd.conf, then restart snmpd",
	"ntpd":            "interface ignore wildcard and interface listen 127.0.0.1 in ntp.conf",
	"chronyd":         "port 0 (no NTP server) or bindaddress 127.0.0.1 in chrony.conf",
	"elasticsearch":   "network.host: 127.0.0.1 in elasticsearch.yml",
	"rabbitmq-server": "listeners.tcp.default = 127.0.0.1:5672 in rabbitmq.conf",
}

// directive is the loopback directive for a process or service name, with
// the port filled in, "" when ajar knows none.
func directive(names []string, port uint16) string {
	for _, n := range names {
		d, ok := loopbackDirectives[strings.ToLower(n)]
		if !ok {
			continue
		}
		if c := strings.Count(d, "%d"); c > 0 {
			args := make([]any, c)
			for i := range args {
				args[i] = port
			}
			d = fmt.Sprintf(d, args...)
		}
		return d
	}
	return ""
}

func firewallStep(k portKey) string {
	return fmt.Sprintf("or firewall it: ajar firewall --policy FILE --apply (drops %s, as the policy does not allow it)", k)
}

// remedyLocalOpen is the step for a local listener the policy does not
// allow.
func remedyLocalOpen(k portKey, s *record.Socket, unit string) string {
	var steps []string
	switch {
	case unit != "":
		steps = append(steps, fmt.Sprintf("stop it: systemctl disable --now %s", unit))
	case s.PID != 0:
		steps = append(steps, fmt.Sprintf("stop it: %s (pid %d) is not a systemd service; stop it where it is started", s.Process, s.PID))
	default:
		steps = append(steps, "stop the process that listens (ss -lptn as root names it)")
	}
	if d := directive([]string{s.Process}, k.port); d != "" {
		steps = append(steps, "or bind it to loopback: "+d)
	}
	steps = append(steps, "or allow it in the policy if it should be open")
	steps = append(steps, firewallStep(k))
	return strings.Join(steps, "; ")
}

// remedyRemote is the step for a port a scan found open that the policy
// does not allow.
func remedyRemote(k portKey, service string) string {
	steps := []string{fmt.Sprintf("close %s on the host: stop the service that listens (ajar check --local there names its systemd unit)", k)}
	if d := directive([]string{service}, k.port); d != "" {
		steps = append(steps, "or bind it to loopback: "+d)
	}
	steps = append(steps, firewallStep(k))
	return strings.Join(steps, "; ")
}

// remedyLoopback is the step for a port that should be on loopback only.
func remedyLoopback(k portKey, service, process, unit string) string {
	d := directive([]string{process, service}, k.port)
	if d == "" {
		d = fmt.Sprintf("bind it to 127.0.0.1 (and ::1) in its configuration instead of 0.0.0.0 or ::")
		if unit != "" {
			d += fmt.Sprintf(", then systemctl restart %s", unit)
		}
	}
	return "bind it to loopback: " + d + "; " + firewallStep(k)
}

// remedyInterface is the step for a port that should be reachable
// through one interface only.
func remedyInterface(k portKey, iface string) string {
	return fmt.Sprintf("bind it to device %s (SO_BINDTODEVICE, the daemon's interface option), "+
		"or firewall it: ajar firewall --policy FILE --apply accepts %s only from iifname %q", iface, k, iface)
}

// remedyOwner is the step for a listener owned by the wrong process or
// user.
func remedyOwner(k portKey, s *record.Socket, unit string, rule *Allow) string {
	who := s.Process
	if unit != "" {
		who = unit
	}
	if who == "" {
		return fmt.Sprintf("find who listens on %s (as root: ajar sockets --port %d -v) and make it %s",
			k, k.port, strings.TrimSpace(rule.Process+" "+rule.User))
	}
	return fmt.Sprintf("%s listens on %s where the policy expects %s: stop %s (systemctl disable --now %s) and start the expected service, or fix the policy",
		s.Process, k, strings.TrimSpace(rule.Process+" "+rule.User), who, who)
}

// remedyMissing is the step for a required port that is not open;
// families are those it listens in already.
func remedyMissing(k portKey, rule *Allow, families map[int]bool) string {
	svc := rule.Service
	if svc == "" {
		svc = rule.Process
	}
	switch {
	case families[6] && !families[4]:
		return fmt.Sprintf("make %s listen over IPv4 too: bind to :: with IPV6_V6ONLY off (net.ipv6.bindv6only=0), or to 0.0.0.0 as well", k)
	case families[4] && !families[6]:
		return fmt.Sprintf("make %s listen over IPv6 too: bind to :: (dual-stack) instead of 0.0.0.0, or to the IPv6 address as well", k)
	case svc != "":
		return fmt.Sprintf("start %s: systemctl enable --now %s (and check that no firewall drops %s)", svc, svc, k)
	}
	return fmt.Sprintf("start the service that should listen on %s (systemctl enable --now UNIT), and check that no firewall drops it", k)
}

// remedyNAT is the step for a port published by DNAT.
func remedyNAT(k portKey, n NATPort) string {
	return fmt.Sprintf("unpublish %s: remove the port mapping (docker run -p / compose ports:) or the DNAT rule (%s), "+
		"or publish it on loopback only (-p 127.0.0.1:%d:PORT); ajar firewall --apply also drops it in the forward hook", k, n.Rule, k.port)
}

//go:build linux

package main

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ajarsec/ajar/audit/tlsaudit"
	"github.com/ajarsec/ajar/internal/zoo"
)

// readNmap reads nmap's XML: each port's script outputs by script id
// (a port seen over TCP and UDP has both).
func readNmap(path string) (map[uint16]map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var run struct {
		Hosts []struct {
			Ports []struct {
				Port    string `xml:"portid,attr"`
				Scripts []struct {
					ID     string `xml:"id,attr"`
					Output string `xml:"output,attr"`
				} `xml:"script"`
			} `xml:"ports>port"`
		} `xml:"host"`
	}
	if err := xml.Unmarshal(b, &run); err != nil {
		return nil, err
	}
	out := map[uint16]map[string]string{}
	for _, h := range run.Hosts {
		for _, p := range h.Ports {
			n, _ := strconv.Atoi(p.Port)
			if out[uint16(n)] == nil {
				out[uint16(n)] = map[string]string{}
			}
			for _, s := range p.Scripts {
				out[uint16(n)][s.ID] += s.Output + "\n"
			}
		}
	}
	return out, nil
}

// nmapRule says which script output shows a planted risk: the script
// answered (match "") or its output matches.
type nmapRule struct {
	id, script, match string
}

// nmapRules map finding ids (exact, or a prefix ending in "-") to the
// NSE script whose output shows the same risk. A risk without a rule is
// one no script of those run judges.
var nmapRules = []nmapRule{
	{"redis-no-auth", "redis-info", "(?i)version"},
	{"memcached-no-auth", "memcached-info", ""},
	{"ftp-anonymous", "ftp-anon", "Anonymous FTP login allowed"},
	{"tls-cert-self-signed", "ssl-cert", "SELFSIGNED"},
	{"tls-cert-expired", "ssl-cert", "EXPIRED"},
	{"tls-cert-weak-key", "ssl-cert", `Public Key bits: (512|768|1024)\b`},
	{"tls-cert-sha1", "ssl-cert", "(?i)sha1"},
	{"tls-legacy-version", "ssl-enum-ciphers", `TLSv1\.[01]:`},
	{"tls-sslv3", "ssl-enum-ciphers", `SSLv3:`},
	{"tls-sslv2", "sslv2", "SSLv2 supported"},
	{"tls-broken-cipher", "ssl-enum-ciphers", `_(NULL|anon|RC4|EXPORT|DES)_`},
	{"tls-sweet32", "ssl-enum-ciphers", `3DES|IDEA`},
	{"tls-no-forward-secrecy", "ssl-enum-ciphers", "NOFS"},
	{"ssh-weak-kex", "ssh2-enum-algos", `diffie-hellman-group1-sha1|diffie-hellman-group-exchange-sha1|diffie-hellman-group14-sha1`},
	{"ssh-weak-cipher", "ssh2-enum-algos", `-cbc|arcfour|3des`},
	{"ssh-weak-mac", "ssh2-enum-algos", `hmac-md5|hmac-sha1\b|umac-64`},
	{"ssh-weak-hostkey", "ssh2-enum-algos", `ssh-rsa\b|ssh-dss`},
	{"rsync-modules-listed", "rsync-list-modules", ""},
	{"snmp-public-community", "snmp-sysdescr", ""},
	{"ldap-anonymous-bind", "ldap-rootdse", ""},
	{"vnc-no-auth", "vnc-info", `None`},
	{"telnet-cleartext", "telnet-encryption", "does not support encryption"},
	{"mysql-", "mysql-empty-password", "empty password"},
	{"mongodb-", "mongodb-databases", ""},
	{"couchdb-", "couchdb-databases", ""},
	{"cassandra-", "cassandra-info", ""},
	{"amqp-", "amqp-info", ""},
	{"mqtt-", "mqtt-subscribe", ""},
	{"docker-", "docker-version", ""},
	{"nfs-", "nfs-showmount", ""},
	{"x11-", "x11-access", "(?i)granted"},
	{"smb-signing", "smb2-security-mode", "not required"},
	{"smbv1", "smb-protocols", `NT LM 0\.12`},
	{"ntp-", "ntp-monlist", ""},
	{"dns-", "dns-recursion", "(?i)enabled"},
	{"http-proxy", "http-open-proxy", "(?i)open proxy"},
	{"socks-", "socks-open-proxy", "(?i)open"},
	{"http-server-status", "http-apache-server-status", ""},
	{"http-directory-listing", "http-ls", ""},
	{"http-version-banner", "http-server-header", ""},
}

// nmapVerdict says whether nmap's scripts showed risk id: "found", "-"
// (ran, showed nothing) or "no script" (none of the scripts run judges
// it).
func nmapVerdict(id string, scripts map[string]string) string {
	for _, r := range nmapRules {
		if r.id != id && !(strings.HasSuffix(r.id, "-") && strings.HasPrefix(id, r.id)) {
			continue
		}
		out, ok := scripts[r.script]
		if !ok {
			return "-"
		}
		switch r.match {
		case "":
			return "found"
		case "SELFSIGNED":
			if v := certField(out, "Subject"); v != "" && v == certField(out, "Issuer") {
				return "found"
			}
		case "EXPIRED":
			if t, err := time.Parse("2006-01-02T15:04:05", certField(out, "Not valid after")); err == nil && time.Now().After(t) {
				return "found"
			}
		case "NOFS":
			if strings.Contains(out, "TLS_") && !strings.Contains(out, "DHE_") {
				return "found"
			}
		default:
			if regexp.MustCompile(r.match).MatchString(out) {
				return "found"
			}
		}
		return "-"
	}
	return "no script"
}

// certField is one "Name: value" line of ssl-cert's output.
func certField(out, name string) string {
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), name+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// suiteSets are the suites a tool saw accepted, by version name.
type suiteSets map[string][]string

func (s suiteSets) versions() []string {
	var vs []string
	for v := range s {
		vs = append(vs, v)
	}
	slices.Sort(vs)
	return vs
}

// readTLSProbe reads tlsprobe's JSON lines, by port.
func readTLSProbe(path string) map[string]suiteSets {
	out := map[string]suiteSets{}
	f, err := os.Open(path)
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r struct {
			Addr     string `json:"addr"`
			Versions []struct {
				Version string   `json:"version"`
				Suites  []string `json:"suites"`
			} `json:"versions"`
		}
		if json.Unmarshal(sc.Bytes(), &r) != nil {
			continue
		}
		s := suiteSets{}
		for _, v := range r.Versions {
			s[v.Version] = slices.Sorted(slices.Values(v.Suites))
		}
		out[r.Addr[strings.LastIndexByte(r.Addr, ':')+1:]] = s
	}
	return out
}

// readSSLScan reads sslscan's XML: the suites by version, IANA names
// from their numbers.
func readSSLScan(path string) (suiteSets, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	var doc struct {
		Ciphers []struct {
			Version string `xml:"sslversion,attr"`
			ID      string `xml:"id,attr"`
		} `xml:"ssltest>cipher"`
	}
	if xml.Unmarshal(b, &doc) != nil {
		return nil, false
	}
	s := suiteSets{}
	for _, c := range doc.Ciphers {
		n, err := strconv.ParseUint(strings.TrimPrefix(c.ID, "0x"), 16, 16)
		if err != nil {
			continue
		}
		s[c.Version] = append(s[c.Version], tlsaudit.SuiteName(uint16(n)))
	}
	for v := range s {
		slices.Sort(s[v])
	}
	return s, true
}

// readTestSSL reads testssl.sh's JSON: the suites of its cipher-tls…
// entries, the IANA name last on each finding.
func readTestSSL(path string) (suiteSets, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	var es []struct {
		ID      string `json:"id"`
		Finding string `json:"finding"`
	}
	if json.Unmarshal(b, &es) != nil {
		return nil, false
	}
	names := map[string]string{"tls1": "TLSv1.0", "tls1_1": "TLSv1.1", "tls1_2": "TLSv1.2", "tls1_3": "TLSv1.3",
		"ssl3": "SSLv3", "ssl2": "SSLv2"}
	s := suiteSets{}
	for _, e := range es {
		rest, ok := strings.CutPrefix(e.ID, "cipher-")
		if !ok || !strings.Contains(rest, "_x") {
			continue
		}
		proto := rest[:strings.LastIndex(rest, "_x")]
		f := strings.Fields(e.Finding)
		if v, ok := names[proto]; ok && len(f) > 0 {
			s[v] = append(s[v], f[len(f)-1])
		}
	}
	for v := range s {
		slices.Sort(s[v])
	}
	return s, true
}

// tlsAgreement prints, per TLS port and version, the suites ajar,
// sslscan and testssl.sh saw accepted, and whether they agree.
func tlsAgreement(dir string, ss []service) {
	ajar := readTLSProbe(filepath.Join(dir, "tlsprobe.jsonl"))
	fmt.Println("\nTLS: versions and suites accepted (count of suites; = when the sets are equal to ajar's)")
	fmt.Println("PORT   VERSION   AJAR  SSLSCAN  TESTSSL")
	agree, total := 0, 0
	for _, l := range tlsList(ss) {
		port, _, _ := strings.Cut(l, " ")
		a := ajar[port]
		sc, okSC := readSSLScan(filepath.Join(dir, "sslscan-"+port+".xml"))
		ts, okTS := readTestSSL(filepath.Join(dir, "testssl-"+port+".json"))
		all := map[string]bool{}
		for _, m := range []suiteSets{a, sc, ts} {
			for v := range m {
				all[v] = true
			}
		}
		vs := slices.Sorted(func(yield func(string) bool) {
			for v := range all {
				if !yield(v) {
					return
				}
			}
		})
		for _, v := range vs {
			cell := func(m suiteSets, ok bool) string {
				if !ok {
					return "n/a"
				}
				mark := ""
				if slices.Equal(m[v], a[v]) {
					mark = "="
				}
				return strconv.Itoa(len(m[v])) + mark
			}
			total++
			if (!okSC || slices.Equal(sc[v], a[v])) && (!okTS || slices.Equal(ts[v], a[v])) {
				agree++
			}
			fmt.Printf("%-6s %-9s %-5d %-8s %s\n", port, v, len(a[v]), cell(sc, okSC), cell(ts, okTS))
			for _, d := range diff(a[v], sc[v], ts[v], okSC, okTS) {
				fmt.Println("         ", d)
			}
		}
	}
	fmt.Printf("TLS agreement: %d of %d (port, version) rows agree with every tool that ran\n", agree, total)
}

// diff lists the suites one tool saw and another did not.
func diff(a, sc, ts []string, okSC, okTS bool) []string {
	var out []string
	for _, t := range []struct {
		name string
		s    []string
		ok   bool
	}{{"sslscan", sc, okSC}, {"testssl", ts, okTS}} {
		if !t.ok {
			continue
		}
		for _, x := range t.s {
			if !slices.Contains(a, x) {
				out = append(out, t.name+" only: "+x)
			}
		}
		for _, x := range a {
			if !slices.Contains(t.s, x) {
				out = append(out, "ajar, not "+t.name+": "+x)
			}
		}
	}
	return out
}

var sshAuditLine = regexp.MustCompile(`^\((kex|key|enc|mac)\) (\S+)\s+-- \[(fail|warn)\]`)

// sshAgreement prints, per SSH port, the algorithms ssh-audit fails or
// warns about next to those ajar's ssh findings name.
func sshAgreement(dir string, ss []service, ajar map[uint16][]zoo.AuditFinding) {
	fmt.Println("\nSSH: algorithms flagged (ssh-audit: fail and warn; ajar: its ssh-weak-* findings)")
	for _, s := range ss {
		if s.Name != "ssh" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("ssh-audit-%d.txt", s.Port)))
		if err != nil {
			fmt.Printf("%d: ssh-audit did not run\n", s.Port)
			continue
		}
		var theirs []string
		for _, l := range strings.Split(string(b), "\n") {
			if m := sshAuditLine.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
				theirs = append(theirs, m[2]+"("+m[3]+")")
			}
		}
		var ours []string
		for _, f := range ajar[s.Port] {
			if !strings.HasPrefix(f.ID, "ssh-") {
				continue
			}
			for _, part := range strings.Split(f.Evidence, "; ") {
				if name, _, ok := strings.Cut(part, ": "); ok && !strings.Contains(name, " ") {
					ours = append(ours, name)
				}
			}
		}
		fmt.Printf("%d ssh-audit: %s\n%d ajar:      %s\n", s.Port, strings.Join(theirs, " "), s.Port, strings.Join(ours, " "))
	}
}

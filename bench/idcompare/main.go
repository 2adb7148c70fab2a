// Command idcompare scores service identification against the zoo's truth:
// ajar's JSON Lines and nmap's XML, port by port, with totals. The
// benchmark script bench/identify.sh runs it; it is not part of ajar.
//
//	idcompare -truth truth.json -ajar ajar.jsonl -nmap nmap.xml \
//	    -ajar-seconds 4.1 -nmap-seconds 31.0 -layout usual
package main

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
)

type truth struct {
	Name    string `json:"name"`
	Proto   string `json:"proto"`
	Port    uint16 `json:"port"`
	TLS     bool   `json:"tls"`
	Product string `json:"product"`
	Version string `json:"version"`
	Daemon  string `json:"daemon"`
}

// answer is one tool's answer for a port.
type answer struct {
	name, product, version string
	tls                    bool
}

func (a answer) String() string {
	if a.name == "" {
		return "-"
	}
	s := a.name
	if a.tls {
		s = "ssl/" + s
	}
	return strings.TrimSpace(s + " " + a.product + " " + a.version)
}

type key struct {
	proto string
	port  uint16
}

func main() {
	truthPath := flag.String("truth", "", "the zoo's truth table (JSON)")
	ajarPath := flag.String("ajar", "", "ajar's results (JSON Lines)")
	nmapPath := flag.String("nmap", "", "nmap's results (XML)")
	ajarSec := flag.Float64("ajar-seconds", 0, "ajar's wall time")
	nmapSec := flag.Float64("nmap-seconds", 0, "nmap's wall time")
	layout := flag.String("layout", "", "the layout's name, for the heading")
	portsOnly := flag.Bool("ports", false, "only print the truth's ports as T:…,U:… for -p")
	flag.Parse()
	ts, err := readTruth(*truthPath)
	if err != nil {
		fail(err)
	}
	if *portsOnly {
		fmt.Println(portList(ts))
		return
	}
	aj, err := readAjar(*ajarPath)
	if err != nil {
		fail(err)
	}
	nm, err := readNmap(*nmapPath)
	if err != nil {
		fail(err)
	}
	sort.Slice(ts, func(i, j int) bool {
		if ts[i].Proto != ts[j].Proto {
			return ts[i].Proto < ts[j].Proto
		}
		return ts[i].Port < ts[j].Port
	})
	fmt.Printf("layout %s: %d services\n", *layout, len(ts))
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PORT\tTRUTH\tAJAR\t\tNMAP\t")
	var sa, sn score
	for _, t := range ts {
		k := key{t.Proto, t.Port}
		a, n := aj[k], nm[k]
		ma, mn := sa.add(t, a), sn.add(t, n)
		want := answer{name: t.Name, product: t.Product, version: t.Version, tls: t.TLS}
		fmt.Fprintf(tw, "%d/%s\t%s\t%s\t%s\t%s\t%s\n", t.Port, t.Proto, want, a, ma, n, mn)
	}
	tw.Flush()
	fmt.Println()
	tw = tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TOTAL\tAJAR\tNMAP")
	fmt.Fprintf(tw, "services named correctly\t%s\t%s\n", frac(sa.names, len(ts)), frac(sn.names, len(ts)))
	fmt.Fprintf(tw, "false names\t%d\t%d\n", sa.falseNames, sn.falseNames)
	fmt.Fprintf(tw, "products correct\t%s\t%s\n", frac(sa.products, sa.productsOf), frac(sn.products, sn.productsOf))
	fmt.Fprintf(tw, "versions correct\t%s\t%s\n", frac(sa.versions, sa.versionsOf), frac(sn.versions, sn.versionsOf))
	ratio := "-"
	if *nmapSec > 0 {
		ratio = fmt.Sprintf("ajar/nmap = %.2fx", *ajarSec / *nmapSec)
	}
	fmt.Fprintf(tw, "wall time s\t%.2f\t%.2f\t%s\n", *ajarSec, *nmapSec, ratio)
	tw.Flush()
	fmt.Printf("RESULT layout=%s ajar_names=%d ajar_false=%d ajar_products=%d/%d ajar_versions=%d/%d "+
		"nmap_names=%d nmap_false=%d nmap_products=%d/%d nmap_versions=%d/%d total=%d ajar_s=%.2f nmap_s=%.2f\n",
		*layout, sa.names, sa.falseNames, sa.products, sa.productsOf, sa.versions, sa.versionsOf,
		sn.names, sn.falseNames, sn.products, sn.productsOf, sn.versions, sn.versionsOf, len(ts), *ajarSec, *nmapSec)
}

func frac(n, of int) string {
	if of == 0 {
		return "-"
	}
	return fmt.Sprintf("%d/%d (%.0f%%)", n, of, 100*float64(n)/float64(of))
}

type score struct{ names, falseNames, products, productsOf, versions, versionsOf int }

// unnamed are answers that name no service: not a false name.
var unnamed = map[string]bool{"": true, "unknown": true, "tcpwrapped": true, "tls": true}

// httpApps are services spoken over HTTP: naming them "http" is right too.
var httpApps = map[string]bool{"etcd": true, "influxdb": true, "prometheus": true, "docker": true,
	"kubernetes": true, "elasticsearch": true}

// add scores one answer and returns its mark.
func (s *score) add(t truth, a answer) string {
	nameOK := a.name == t.Name || (httpApps[t.Name] && a.name == "http")
	if t.TLS && !a.tls {
		nameOK = false
	}
	mark := "ok"
	switch {
	case nameOK:
		s.names++
	case unnamed[a.name]:
		mark = "unnamed"
	default:
		s.falseNames++
		mark = "FALSE NAME"
	}
	if t.Product != "" {
		s.productsOf++
		if a.product != "" && (strings.Contains(squash(a.product), squash(t.Product)) ||
			strings.Contains(squash(t.Product), squash(a.product))) {
			s.products++
		} else if nameOK {
			mark = "no product"
		}
	}
	if t.Version != "" {
		s.versionsOf++
		if a.version != "" && strings.HasPrefix(a.version, t.Version) {
			s.versions++
		} else if nameOK && mark == "ok" {
			mark = "no version"
		}
	}
	return mark
}

// readTruth reads the zoo's truth file: {"services": [...]} or a bare
// list.
// squash is s in lower case with only letters and digits, so that
// "nats-server" and "NATS Server" compare equal.
func squash(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return -1
	}, s)
}

func readTruth(path string) ([]truth, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Services []truth `json:"services"`
	}
	if err := json.Unmarshal(b, &doc); err == nil && len(doc.Services) > 0 {
		return doc.Services, nil
	}
	var ts []truth
	if err := json.Unmarshal(b, &ts); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ts, nil
}

// portList renders the truth's ports for -p: T:22,80,U:53.
func portList(ts []truth) string {
	var tcp, udp []string
	for _, t := range ts {
		p := strconv.Itoa(int(t.Port))
		if t.Proto == "udp" {
			udp = append(udp, p)
		} else {
			tcp = append(tcp, p)
		}
	}
	s := ""
	if len(tcp) > 0 {
		s = "T:" + strings.Join(tcp, ",")
	}
	if len(udp) > 0 {
		if s != "" {
			s += ","
		}
		s += "U:" + strings.Join(udp, ",")
	}
	return s
}

func readAjar(path string) (map[key]answer, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	out := map[key]answer{}
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r struct {
			Port    uint16 `json:"port"`
			Proto   string `json:"proto"`
			Service *struct {
				Name, Product, Version, Tunnel, Method string
			} `json:"service"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if s := r.Service; s != nil && s.Method == "probed" {
			out[key{r.Proto, r.Port}] = answer{name: s.Name, product: s.Product, version: s.Version, tls: s.Tunnel == "ssl"}
		}
	}
	return out, sc.Err()
}

// nmapNames maps nmap's service names to ajar's.
var nmapNames = map[string]string{
	"kerberos-sec": "kerberos", "X11": "x11", "murmur": "mumble", "zabbix": "zabbix-agent",
	"domain": "dns", "microsoft-ds": "smb", "netbios-ssn": "smb", "ms-wbt-server": "rdp",
	"xmpp-client": "xmpp", "jabber": "xmpp", "imaps": "imap", "pop3s": "pop3", "smtps": "smtp",
	"https": "http", "https-alt": "http", "http-alt": "http", "socks": "socks5", "socks-proxy": "socks5",
	"squid-http": "http-proxy", "etcd-client": "etcd", "sip-proxy": "sip", "mysql": "mysql",
	"ssl": "tls", "vnc-1": "vnc", "postgres": "postgresql", "rtsp": "rtsp", "ircd": "irc",
	"rpcbind": "rpcbind", "ntp": "ntp", "snmp": "snmp", "amqp": "amqp",
	"auth": "ident", "beanstalkd": "beanstalk", "polipo": "http-proxy", "http-proxy": "http-proxy",
}

// nmapTLSNames are nmap's names that mean the service runs inside TLS.
var nmapTLSNames = map[string]bool{"imaps": true, "pop3s": true, "smtps": true, "https": true, "ldaps": true, "ftps": true}

func readNmap(path string) (map[key]answer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var run struct {
		Hosts []struct {
			Ports []struct {
				Proto   string `xml:"protocol,attr"`
				Port    string `xml:"portid,attr"`
				Service *struct {
					Name    string `xml:"name,attr"`
					Product string `xml:"product,attr"`
					Version string `xml:"version,attr"`
					Tunnel  string `xml:"tunnel,attr"`
					Method  string `xml:"method,attr"`
				} `xml:"service"`
			} `xml:"ports>port"`
		} `xml:"host"`
	}
	if err := xml.Unmarshal(b, &run); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := map[key]answer{}
	for _, h := range run.Hosts {
		for _, p := range h.Ports {
			s := p.Service
			if s == nil || s.Method != "probed" {
				continue
			}
			n, _ := strconv.Atoi(p.Port)
			name := s.Name
			if v, ok := strings.CutPrefix(name, "mosquitto version "); ok {
				// nmap puts what Mosquitto says of itself in the name.
				name, s.Product, s.Version = "mqtt", "Mosquitto", v
			}
			tls := s.Tunnel == "ssl" || nmapTLSNames[name]
			if m, ok := nmapNames[name]; ok {
				name = m
			}
			out[key{p.Proto, uint16(n)}] = answer{name: name, product: s.Product, version: s.Version, tls: tls}
		}
	}
	return out, nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "idcompare:", err)
	os.Exit(1)
}

//go:build linux

// Command auditcompare scores `ajar scan --audit` and nmap's NSE scripts
// against the audit zoo's truth table (internal/zoo.AuditTruth, read from
// the zoo's code, so that every risk planted there is scored), and holds
// ajar's TLS and SSH judgements next to testssl.sh, sslscan and
// ssh-audit. bench/audit.sh runs it; it is not part of ajar.
//
//	auditcompare -truth truth.json -ports          the ports to scan (T:…,U:…)
//	auditcompare -truth truth.json -tls            TLS ports: "port [starttls-protocol]"
//	auditcompare -truth truth.json -ssh            SSH ports
//	auditcompare -truth truth.json -dir OUT -ajar-seconds A -nmap-seconds N
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/ajarsec/ajar/internal/zoo"
)

type service struct {
	Daemon string `json:"daemon"`
	Name   string `json:"name"`
	Proto  string `json:"proto"`
	Port   uint16 `json:"port"`
	TLS    bool   `json:"tls"`
}

type finding struct {
	ID, Category, Severity, Evidence string
}

func main() {
	truthPath := flag.String("truth", "", "the zoo's truth file (zoo -truth)")
	ports := flag.Bool("ports", false, "print the ports to scan")
	tlsPorts := flag.Bool("tls", false, "print the TLS ports")
	sshPorts := flag.Bool("ssh", false, "print the SSH ports")
	dir := flag.String("dir", "", "the directory of the tools' outputs")
	except := flag.String("daemons-but", "", "print the audit set's daemons but these (comma separated), for zoo -only")
	ajarSec := flag.Float64("ajar-seconds", 0, "ajar's wall time")
	nmapSec := flag.Float64("nmap-seconds", 0, "nmap's wall time")
	flag.Parse()
	if *except != "" {
		out := slices.DeleteFunc(zoo.DaemonsOf(zoo.Audit), func(d string) bool {
			return slices.Contains(strings.Split(*except, ","), d)
		})
		fmt.Println(strings.Join(out, ","))
		return
	}
	var t struct {
		Services []service `json:"services"`
	}
	b, err := os.ReadFile(*truthPath)
	if err == nil {
		err = json.Unmarshal(b, &t)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "auditcompare:", err)
		os.Exit(2)
	}
	switch {
	case *ports:
		fmt.Println(portSpec(t.Services))
	case *tlsPorts:
		for _, l := range tlsList(t.Services) {
			fmt.Println(l)
		}
	case *sshPorts:
		for _, s := range t.Services {
			if s.Name == "ssh" {
				fmt.Println(s.Port)
			}
		}
	default:
		if err := score(*dir, t.Services, *ajarSec, *nmapSec); err != nil {
			fmt.Fprintln(os.Stderr, "auditcompare:", err)
			os.Exit(1)
		}
	}
}

// portSpec is every port of the zoo, and the SNMP twin the zoo keeps out
// of its services (its readiness probe cannot ask it).
func portSpec(ss []service) string {
	var tcp, udp []string
	for _, s := range ss {
		if s.Proto == "udp" {
			udp = append(udp, strconv.Itoa(int(s.Port)))
		} else {
			tcp = append(tcp, strconv.Itoa(int(s.Port)))
		}
	}
	udp = append(udp, strconv.Itoa(zoo.AuditSNMPTwinPort))
	return "T:" + strings.Join(tcp, ",") + ",U:" + strings.Join(udp, ",")
}

// tlsList: the implicit TLS ports, and the cleartext ports whose truth
// plants a TLS or certificate risk (STARTTLS), with their protocol.
func tlsList(ss []service) []string {
	var out []string
	seen := map[uint16]bool{}
	for _, s := range ss {
		if s.TLS && s.Proto == "tcp" && !seen[s.Port] {
			seen[s.Port] = true
			out = append(out, strconv.Itoa(int(s.Port)))
		}
	}
	for _, r := range zoo.AuditTruth() {
		if seen[r.Port] || (r.Category != "weak-tls" && r.Category != "certificate") {
			continue
		}
		for _, s := range ss {
			if s.Port == r.Port && s.Proto == "tcp" {
				seen[r.Port] = true
				out = append(out, strconv.Itoa(int(s.Port))+" "+s.Name)
			}
		}
	}
	return out
}

// readAjar reads ajar's JSON Lines: the findings by port.
func readAjar(path string) (map[uint16][]finding, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	got := map[uint16][]finding{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r struct {
			Port     uint16    `json:"port"`
			Findings []finding `json:"findings"`
		}
		if json.Unmarshal(sc.Bytes(), &r) == nil {
			got[r.Port] = append(got[r.Port], r.Findings...)
		}
	}
	return got, sc.Err()
}

func score(dir string, ss []service, ajarSec, nmapSec float64) error {
	ajar, err := readAjar(filepath.Join(dir, "ajar.jsonl"))
	if err != nil {
		return err
	}
	nmap, err := readNmap(filepath.Join(dir, "nmap.xml"))
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "PORT\tDAEMON\tPLANTED RISK\tTRUTH\tAJAR\tNMAP")
	var found, missed, nfound, twins, twinAlarms int
	planted := map[uint16]map[string]bool{}
	ran := map[string]bool{}
	for _, s := range ss {
		ran[s.Daemon] = true
	}
	skipped := 0
	for _, r := range zoo.AuditTruth() {
		if !ran[r.Daemon] && r.Port != zoo.AuditSNMPTwinPort {
			skipped++
			continue
		}
		if r.Severity == "" {
			twins++
			for _, f := range ajar[r.Port] {
				if f.Category == r.Category {
					twinAlarms++
					fmt.Fprintf(w, "%d\t%s\ttwin: no %s\t-\tFALSE ALARM %s %s\t\n", r.Port, r.Daemon, r.Category, f.ID, f.Severity)
				}
			}
			continue
		}
		if planted[r.Port] == nil {
			planted[r.Port] = map[string]bool{}
		}
		planted[r.Port][r.ID] = true
		a := "missed"
		for _, f := range ajar[r.Port] {
			if f.ID == r.ID {
				a = f.Severity
			}
		}
		if a == "missed" {
			missed++
		} else {
			found++
		}
		n := nmapVerdict(r.ID, nmap[r.Port])
		if n == "found" {
			nfound++
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", r.Port, r.Daemon, r.ID, r.Severity, a, n)
	}
	w.Flush()
	var high []string
	for port, fs := range ajar {
		for _, f := range fs {
			if (f.Severity == "high" || f.Severity == "critical") && !planted[port][f.ID] {
				high = append(high, fmt.Sprintf("%d %s (%s): %s", port, f.ID, f.Severity, f.Evidence))
			}
		}
	}
	slices.Sort(high)
	total := found + missed
	if skipped > 0 {
		fmt.Printf("\n(%d truth rows of daemons left out of this run are not scored)", skipped)
	}
	fmt.Printf("\nplanted risks: %d; ajar found %d (%.0f%%), missed %d; nmap found %d (%.0f%%)\n",
		total, found, pct(found, total), missed, nfound, pct(nfound, total))
	fmt.Printf("false alarms: ajar at high or above where nothing is planted: %d; on hardened twins (%d rows, any severity): %d\n",
		len(high), twins, twinAlarms)
	for _, h := range high {
		fmt.Println("  ", h)
	}
	ratio := 0.0
	if ajarSec > 0 {
		ratio = nmapSec / ajarSec
	}
	fmt.Printf("wall time: ajar %.1f s, nmap %.1f s (ajar takes 1/%.1f of nmap's time)\n", ajarSec, nmapSec, ratio)
	fmt.Println("nmap ran -sV --script \"(default or safe or vuln) and not (external or broadcast)\": vulners needs the internet, which the zoo does not have, so it finds nothing here")
	tlsAgreement(dir, ss)
	sshAgreement(dir, ss, ajar)
	return nil
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

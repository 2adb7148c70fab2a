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
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/ajarsec/ajar/internal/zoo"
	"github.com/ajarsec/ajar/portspec"
)

type service struct {
	Daemon string `json:"daemon"`
	Name   string `json:"name"`
	Proto  string `json:"proto"`
	Port   uint16 `json:"port"`
	TLS    bool   `json:"tls"`
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

// readAjar reads ajar's JSON Lines.
func readAjar(path string) (zoo.AuditScan, error) {
	f, err := os.Open(path)
	if err != nil {
		return zoo.AuditScan{}, err
	}
	defer f.Close()
	return zoo.ReadAuditScan(f)
}

// zooServices are the truth file's services as the zoo's judge takes them.
func zooServices(ss []service) []zoo.Service {
	out := make([]zoo.Service, 0, len(ss))
	for _, s := range ss {
		p := portspec.TCP
		if s.Proto == "udp" {
			p = portspec.UDP
		}
		out = append(out, zoo.Service{Name: s.Name, Proto: p, Port: s.Port, TLS: s.TLS, Daemon: s.Daemon})
	}
	return out
}

// score judges ajar's scan with zoo.JudgeAudit, TestAuditZoo's judge,
// and prints it per truth row next to nmap's verdict.
func score(dir string, ss []service, ajarSec, nmapSec float64) error {
	scan, err := readAjar(filepath.Join(dir, "ajar.jsonl"))
	if err != nil {
		return err
	}
	nmap, err := readNmap(filepath.Join(dir, "nmap.xml"))
	nmapRan := err == nil
	if errors.Is(err, fs.ErrNotExist) { // FAST=1: ajar alone
		err = nil
	}
	if err != nil {
		return err
	}
	v := zoo.JudgeAudit(scan, zooServices(ss))
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "PORT\tDAEMON\tPLANTED RISK\tTRUTH\tAJAR\tNMAP")
	nfound := 0
	for _, r := range v.Rows {
		if r.Severity == "" {
			if r.Got != "clean" {
				fmt.Fprintf(w, "%d\t%s\ttwin: no %s\t-\t%s\t\n", r.Port, r.Daemon, r.Category, r.Got)
			}
			continue
		}
		n := "not run"
		if nmapRan {
			n = nmapVerdict(r.ID, nmap[r.Port])
		}
		if n == "found" {
			nfound++
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", r.Port, r.Daemon, r.ID, r.Severity, r.Got, n)
	}
	w.Flush()
	total := v.Found + v.Missed
	if v.Skipped > 0 {
		fmt.Printf("\n(%d truth rows of daemons left out of this run are not scored)", v.Skipped)
	}
	fmt.Printf("\nplanted risks: %d; ajar found %d (%.0f%%), missed %d; nmap found %d (%.0f%%)\n",
		total, v.Found, pct(v.Found, total), v.Missed, nfound, pct(nfound, total))
	fmt.Printf("false alarms: ajar at high or above where nothing is planted: %d; on hardened twins (%d rows, any severity): %d\n",
		len(v.HighAlarms), v.Twins, v.TwinAlarms)
	for _, h := range v.HighAlarms {
		fmt.Println("  ", h)
	}
	fmt.Printf("TestAuditZoo's judge: %d problems\n", len(v.Problems))
	for _, p := range v.Problems {
		fmt.Println("  ", p)
	}
	if !nmapRan {
		fmt.Printf("wall time: ajar %.1f s\n", ajarSec)
		printRusage(dir)
		fmt.Println("nmap and the TLS and SSH tools did not run (FAST=1)")
		return nil
	}
	ratio := 0.0
	if ajarSec > 0 {
		ratio = nmapSec / ajarSec
	}
	fmt.Printf("wall time: ajar %.1f s, nmap %.1f s (ajar takes 1/%.1f of nmap's time)\n", ajarSec, nmapSec, ratio)
	printRusage(dir)
	fmt.Println("nmap ran -sV --script \"(default or safe or vuln) and not (external or broadcast)\": vulners needs the internet, which the zoo does not have, so it finds nothing here")
	tlsAgreement(dir, ss)
	sshAgreement(dir, ss, scan.Findings)
	return nil
}

// printRusage prints the CPU time and peak RSS GNU time wrote for ajar
// and nmap ("user sys maxrss-KiB" in ajar.time and nmap.time), which
// suffer less from a loaded machine than wall time.
func printRusage(dir string) {
	for _, tool := range []string{"ajar", "nmap"} {
		b, err := os.ReadFile(filepath.Join(dir, tool+".time"))
		if err != nil {
			continue
		}
		var user, sys float64
		var rss int
		if _, err := fmt.Sscan(string(b), &user, &sys, &rss); err != nil {
			fmt.Printf("%s: unreadable %s.time: %v\n", tool, tool, err)
			continue
		}
		fmt.Printf("%s: CPU %.1f s (user %.1f, sys %.1f), peak RSS %.0f MiB\n", tool, user+sys, user, sys, float64(rss)/1024)
	}
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

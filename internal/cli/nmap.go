package cli

import (
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Users of nmap type its flags without thinking. ajar takes the ones it
// can honour, rewritten to its own before parsing, and says plainly what
// to do instead for the ones it cannot.

// nmapFlags are nmap's multi-letter single-dash flags, which pflag cannot
// take, rewritten to ajar's long names.
var nmapFlags = map[string]string{
	"-iL": "--input-file",
	"-p-": "--ports=-",
	"-Pn": "--no-ping",
	"-PN": "--no-ping",
	"-sn": "--ping-only",
	"-sP": "--ping-only",
}

// scanLetters are the techniques of nmap's -s flags ajar has, which may
// be combined (-sSV, -sTU): the long flag each letter stands for.
var scanLetters = map[byte]string{'S': "--syn", 'T': "--connect", 'U': "--udp", 'V': "--service"}

// nmapOnly are nmap flags ajar does not have, and what to do instead.
var nmapOnly = map[string]string{
	"-O":           "OS detection is not in ajar: -sV names the service and version on each open port",
	"-A":           "ajar has no -A: -sV names services and versions; OS detection, scripts and traceroute are not in ajar",
	"-sC":          "ajar runs no NSE scripts: -sV identifies services; checks of what is risky come with ajar's own audit",
	"--script":     "ajar runs no NSE scripts: -sV identifies services; checks of what is risky come with ajar's own audit",
	"--traceroute": "ajar does no traceroute",
	"-sA":          "ajar has no ACK scan yet: -sS tells open from closed and filtered",
	"-sW":          "ajar has no window scan: use -sS",
	"-sM":          "ajar has no Maimon scan: use -sS",
	"-sN":          "ajar has no NULL scan: use -sS",
	"-sF":          "ajar has no FIN scan: use -sS",
	"-sX":          "ajar has no Xmas scan: use -sS",
	"-sI":          "ajar has no idle scan",
	"-sO":          "ajar has no IP protocol scan",
	"-sY":          "ajar does not scan SCTP",
	"-sZ":          "ajar does not scan SCTP",
	"-sL":          "ajar has no list scan",
	"-b":           "ajar has no FTP bounce scan",
}

// nmapOutputs are nmap's -oN, -oX, -oG and the formats they write.
var nmapOutputs = map[string]string{"-oN": "table", "-oX": "xml", "-oG": "grep"}

// nmapTiming are nmap's -T templates by name.
var nmapTiming = map[string]string{
	"paranoid": "0", "sneaky": "1", "polite": "2", "normal": "3", "aggressive": "4", "insane": "5",
}

// rewriteNmapFlags rewrites nmap's spellings in args to ajar's, or says
// why ajar cannot do what one asks. It stops at "--".
func rewriteNmapFlags(args []string) ([]string, error) {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...), nil
		}
		name, _, _ := strings.Cut(a, "=")
		if why, ok := nmapOnly[name]; ok {
			return nil, usageErrorf("%s: %s", name, why)
		}
		if long, ok := nmapFlags[a]; ok {
			out = append(out, long)
			continue
		}
		if more, ok, err := scanLettersFlag(a); ok || err != nil {
			if err != nil {
				return nil, err
			}
			out = append(out, more...)
			continue
		}
		if format, ok := nmapOutputs[a]; ok || a == "-oA" {
			if i+1 >= len(args) {
				return nil, usageErrorf("%s needs a file name (- for standard output)", a)
			}
			i++
			more, err := outputFlags(a, format, args[i])
			if err != nil {
				return nil, err
			}
			out = append(out, more...)
			continue
		}
		if t, ok := timingFlag(a); ok {
			if t == "" {
				if i+1 >= len(args) {
					return nil, usageErrorf("-T needs a level: 0 to 5, or paranoid, sneaky, polite, normal, aggressive, insane")
				}
				i++
				t = args[i]
			}
			if n, ok := nmapTiming[strings.ToLower(t)]; ok {
				t = n
			}
			out = append(out, "--timing="+t)
			continue
		}
		out = append(out, a)
	}
	return out, nil
}

// scanLettersFlag expands -sS, -sV and their combinations (-sTV, -sSU).
func scanLettersFlag(a string) ([]string, bool, error) {
	if len(a) < 3 || !strings.HasPrefix(a, "-s") || strings.HasPrefix(a, "--") {
		return nil, false, nil
	}
	var out []string
	for i := 2; i < len(a); i++ {
		long, ok := scanLetters[a[i]]
		if !ok {
			if why, known := nmapOnly["-s"+a[i:i+1]]; known {
				return nil, true, usageErrorf("%s: %s", a, why)
			}
			if a[i] < 'A' || a[i] > 'Z' {
				return nil, false, nil // not a scan technique: leave it to cobra
			}
			return nil, true, usageErrorf("%s: ajar knows -sS, -sT, -sU and -sV, and their combinations such as -sSV", a)
		}
		out = append(out, long)
	}
	return out, true, nil
}

// outputFlags are ajar's flags for nmap's -oN/-oX/-oG FILE and -oA BASE;
// "-" is standard output.
func outputFlags(flag, format, path string) ([]string, error) {
	if flag == "-oA" {
		if path == "-" {
			return nil, usageErrorf("-oA takes a base name for three files, not -")
		}
		return []string{"--save=table:" + path + ".nmap", "--save=xml:" + path + ".xml", "--save=grep:" + path + ".gnmap"}, nil
	}
	if path == "-" {
		return []string{"--output=" + format}, nil
	}
	return []string{"--save=" + format + ":" + path}, nil
}

// timingFlag reads -T4, -T 4 (level "") and -Taggressive.
func timingFlag(a string) (string, bool) {
	if !strings.HasPrefix(a, "-T") {
		return "", false
	}
	return a[2:], true
}

// timingHelp is the table of what nmap's -T templates mean in ajar.
const timingHelp = `-T0 .. -T5 (nmap's timing templates) set the pace flags not given:
  -T0 paranoid    --rate 0.0033 --max-parallel 1   (one probe every 5 minutes)
  -T1 sneaky      --rate 0.067 --max-parallel 1    (one probe every 15 seconds)
  -T2 polite      --rate 2.5 --max-parallel 1      (one probe every 0.4 seconds)
  -T3 normal      ajar's defaults: an adaptive rate
  -T4 aggressive  --max-timeout 1250ms --initial-timeout 500ms
  -T5 insane      --max-timeout 300ms --initial-timeout 250ms --min-timeout 50ms`

// applyTiming gives the pace flags not given the values of -T level.
func applyTiming(cmd *cobra.Command, f *scanFlags) error {
	if !cmd.Flags().Changed("timing") {
		return nil
	}
	set := func(name string, apply func()) {
		if !cmd.Flags().Changed(name) {
			apply()
		}
	}
	switch f.timing {
	case 0, 1, 2:
		rate := map[int]float64{0: 1.0 / 300, 1: 1.0 / 15, 2: 2.5}[f.timing]
		set("rate", func() { f.rate = rate })
		set("max-parallel", func() { f.maxParallel = 1 })
	case 3:
	case 4:
		set("max-timeout", func() { f.maxTimeout = 1250 * time.Millisecond })
		set("initial-timeout", func() { f.initialTimeout = 500 * time.Millisecond })
	case 5:
		set("max-timeout", func() { f.maxTimeout = 300 * time.Millisecond })
		set("initial-timeout", func() { f.initialTimeout = 250 * time.Millisecond })
		set("min-timeout", func() { f.minTimeout = 50 * time.Millisecond })
	default:
		return usageErrorf("-T%d: the timing templates are -T0 to -T5", f.timing)
	}
	return nil
}

// portZero takes port 0 out of a port list as nmap users write it (-p 0,
// -p 0-65535): nothing can listen on port 0, and ajar does not probe it.
// It returns the list without it, and whether it was there.
func portZero(list string) (string, bool) {
	var out []string
	had := false
	for _, item := range strings.Split(list, ",") {
		prefix, rest := "", item
		if len(item) > 2 && item[1] == ':' {
			prefix, rest = item[:2], item[2:]
		}
		switch {
		case rest == "0":
			had = true
			continue
		case strings.HasPrefix(rest, "0-"):
			had = true
			rest = "1-" + rest[2:]
		}
		out = append(out, prefix+rest)
	}
	return strings.Join(out, ","), had
}

// addNmapHabits adds to ajar scan the nmap flags users type without
// thinking: aliases of ajar's own, and a few of nmap's own meaning.
func addNmapHabits(fl *pflag.FlagSet, f *scanFlags) {
	fl.IntVar(&f.timing, "timing", 3, "nmap's timing template, -T0 to -T5 (see 'ajar help scanning')")
	fl.IntVar(&f.retries, "max-retries", 1, "the same as --retries")
	fl.DurationVar(&f.minTimeout, "min-rtt-timeout", 100*time.Millisecond, "the same as --min-timeout")
	fl.DurationVar(&f.maxTimeout, "max-rtt-timeout", 3*time.Second, "the same as --max-timeout")
	fl.DurationVar(&f.initialTimeout, "initial-rtt-timeout", time.Second, "the same as --initial-timeout")
	fl.DurationVar(&f.scanDelay, "scan-delay", 0, "wait `D` between probes: one probe at a time, at most 1/D a second")
	fl.DurationVar(&f.hostTimeout, "host-timeout", 0, "stop sending probes to a host `D` after its first (nmap's --host-timeout); the ports probed are still reported")
	fl.BoolVar(&f.open, "open", false, "list only hosts with an open port, and only their open ports (nmap's --open)")
	fl.CountVarP(&f.verbose, "verbose", "v", "nmap's -v: ajar always says what it does on stderr (-q for silence)")
	fl.BoolVarP(&f.noResolve, "no-resolve", "n", false, "nmap's -n: ajar never looks up the names of addresses it finds")
	fl.BoolVar(&f.reason, "reason", false, "nmap's --reason: ajar always gives each port's reason")
	fl.BoolVarP(&f.ipv4, "ipv4", "4", false, "IPv4 only: hostnames resolve to IPv4 addresses, IPv6 targets are refused")
	fl.BoolVarP(&f.ipv6, "ipv6", "6", false, "IPv6 only: hostnames resolve to IPv6 addresses, IPv4 targets are refused")
	for _, name := range []string{"timing", "max-retries", "min-rtt-timeout", "max-rtt-timeout", "initial-rtt-timeout", "verbose", "no-resolve", "reason"} {
		fl.MarkHidden(name)
	}
}

// applyNmapHabits turns the nmap habits given into ajar's settings, before
// the scan's config is made.
func applyNmapHabits(cmd *cobra.Command, f *scanFlags) error {
	fl := cmd.Flags()
	if fl.Changed("host-timeout") && f.hostTimeout <= 0 {
		return usageErrorf("--host-timeout takes a positive duration, such as 30s or 15m")
	}
	if f.open && f.allPorts {
		return usageErrorf("give --open (only open ports) or --all-ports (every port), not both")
	}
	if fl.Changed("scan-delay") {
		if f.scanDelay <= 0 {
			return usageErrorf("--scan-delay takes a positive duration, such as 500ms")
		}
		if fl.Changed("rate") || fl.Changed("max-rate") {
			return usageErrorf("give --scan-delay or a rate, not both")
		}
		f.rate = 1 / f.scanDelay.Seconds()
		if !fl.Changed("max-parallel") {
			f.maxParallel = 1
		}
	}
	return applyTiming(cmd, f)
}

package report

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/ajarsec/ajar/record"
)

// LocalFinding is one finding of `ajar audit`: the finding, weighed by
// exposure, the port record it was found on and the socket that listens
// there.
type LocalFinding struct {
	Finding record.Finding
	Port    *record.PortResult
	Socket  record.Socket
}

// LocalSummary counts what `ajar audit` looked at.
type LocalSummary struct {
	Listeners, Identified int
	Interrupted           bool
}

// maxLocalShown bounds the findings the summary shows, so that it fits
// one screen; the rest are counted.
const maxLocalShown = 12

// WriteLocalAudit writes `ajar audit`'s summary: one screen that says
// what to fix first on this machine and how. Findings worst first (info
// ones only with Verbose), each with the process and address it was found
// on, the fix, and with Verbose why its severity is what it is.
func WriteLocalAudit(w io.Writer, items []LocalFinding, sum LocalSummary, st Style) error {
	bw := bufio.NewWriter(w)
	slices.SortStableFunc(items, func(a, b LocalFinding) int {
		return cmp.Or(cmp.Compare(b.Finding.Severity, a.Finding.Severity), cmp.Compare(a.Port.Port, b.Port.Port),
			strings.Compare(a.Finding.ID, b.Finding.ID))
	})
	counts := map[record.Severity]int{}
	for _, it := range items {
		counts[it.Finding.Severity]++
	}
	var parts []string
	for s := record.Critical; s >= record.Info; s-- {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	fmt.Fprintf(bw, "ajar audit: %d listening services, %d identified, %d findings", sum.Listeners, sum.Identified, len(items))
	if len(parts) > 0 {
		fmt.Fprintf(bw, " (%s)", strings.Join(parts, ", "))
	}
	bw.WriteString("\n")
	if sum.Interrupted {
		bw.WriteString("(interrupted: what was judged before the stop)\n")
	}
	shown, hidden := 0, 0
	for _, it := range items {
		if (it.Finding.Severity == record.Info && !st.Verbose) || shown == maxLocalShown {
			hidden++
			continue
		}
		shown++
		writeLocalFinding(bw, &it, st)
	}
	switch {
	case len(items) == 0:
		bw.WriteString("\nNothing to fix: no check found a risk.\n")
	case hidden > 0:
		fmt.Fprintf(bw, "\n… and %d more (info findings with -v; all of them with -o json)\n", hidden)
	}
	return bw.Flush()
}

func writeLocalFinding(bw *bufio.Writer, it *LocalFinding, st Style) {
	f := &it.Finding
	indent := strings.Repeat(" ", len("CRITICAL")+2)
	sev := strings.ToUpper(f.Severity.String())
	pad := strings.Repeat(" ", len("CRITICAL")-len(sev))
	if st.Color {
		sev = severityColor(f.Severity) + sev + ansiReset
	}
	bw.WriteString("\n" + sev + pad + "  " + printable(f.Title) + "  [" + printable(f.ID) + "]\n")
	who := "unknown process"
	if it.Socket.Process != "" {
		who = printable(it.Socket.Process) + " (pid " + strconv.Itoa(it.Socket.PID)
		if it.Socket.User != "" {
			who += ", user " + printable(it.Socket.User)
		}
		who += ")"
	}
	where := it.Socket.Local.String()
	if !it.Socket.Local.IsValid() {
		where = it.Port.Host.String() + ":" + strconv.Itoa(int(it.Port.Port))
	}
	svc := ""
	if it.Port.Service != nil {
		svc = " " + printable(it.Port.Service.Name)
	}
	bw.WriteString(indent + who + svc + " on " + where + "/" + it.Port.Proto.String() +
		", reachable from: " + exposureWords(f.Exposure) + "\n")
	if f.Remediation != "" {
		bw.WriteString(indent + "fix: " + printable(f.Remediation) + "\n")
	}
	if st.Verbose {
		if f.SeverityReason != "" {
			bw.WriteString(indent + "why: " + printable(f.SeverityReason) + "\n")
		}
		if f.Evidence != "" {
			bw.WriteString(indent + "saw: " + printable(f.Evidence) + "\n")
		}
	}
}

func exposureWords(e record.Exposure) string {
	switch e {
	case record.ExposureLoopback:
		return "this machine only (loopback)"
	case record.ExposureLocalLink:
		return "one link (link-local)"
	case record.ExposureInterface:
		return "one interface's network"
	case record.ExposureAddress:
		return "the network (one address)"
	case record.ExposureAll:
		return "the network (every address)"
	}
	return "unknown"
}

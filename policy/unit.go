package policy

import (
	"os"
	"strconv"
	"strings"
)

// ParseCgroupUnit finds the systemd unit in the text of /proc/PID/cgroup:
// the last path element ending in .service (or .socket, .scope) of the
// unified hierarchy ("0::/system.slice/nginx.service"), or of the
// name=systemd one on a hybrid system. "" when there is none (a process
// outside systemd, a user's session scope counts).
func ParseCgroupUnit(text string) string {
	best := ""
	for line := range strings.SplitSeq(text, "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 || (parts[1] != "" && parts[1] != "name=systemd") {
			continue
		}
		elems := strings.Split(parts[2], "/")
		for i := len(elems) - 1; i >= 0; i-- {
			e := elems[i]
			if strings.HasSuffix(e, ".service") || strings.HasSuffix(e, ".socket") {
				best = e
				break
			}
		}
		if best != "" {
			return best
		}
	}
	return best
}

// Units finds the systemd unit of each pid from /proc/PID/cgroup (under
// proc, "/proc" for this machine); pids it cannot read are left out.
func Units(proc string, pids []int) map[int]string {
	out := map[int]string{}
	for _, pid := range pids {
		if pid <= 0 {
			continue
		}
		b, err := os.ReadFile(proc + "/" + strconv.Itoa(pid) + "/cgroup")
		if err != nil || len(b) > 64<<10 {
			continue
		}
		if u := ParseCgroupUnit(string(b)); u != "" {
			out[pid] = u
		}
	}
	return out
}

package store

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// formatRanges writes ports as ranges, "1-21,23,25-79", sorting them
// (in place) and dropping repeats.
func formatRanges(ports []uint16) string {
	slices.Sort(ports)
	ports = slices.Compact(ports)
	var b strings.Builder
	for i := 0; i < len(ports); {
		j := i
		for j+1 < len(ports) && ports[j+1] == ports[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(int(ports[i])))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(int(ports[j])))
		}
		i = j + 1
	}
	return b.String()
}

// parseRanges reads what formatRanges writes, calling fn with each port
// in order.
func parseRanges(s string, fn func(uint16)) error {
	if s == "" {
		return nil
	}
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseUint(lo, 10, 16)
		if err != nil {
			return fmt.Errorf("bad port range %q", part)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(hi, 10, 16); err != nil || b < a {
				return fmt.Errorf("bad port range %q", part)
			}
		}
		for p := a; p <= b; p++ {
			fn(uint16(p))
		}
	}
	return nil
}

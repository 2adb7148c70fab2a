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

// setBits is the size at which a portSet turns from a list to a bitmap.
const setBits = 1024

// portSet is a set of ports as they come: a list while it is short (a
// host's 99 closed ports of a top-100 scan), a bitmap of the 65,536
// ports (8 KiB) once it is long (a full scan), which needs neither
// growing nor sorting.
type portSet struct {
	list []uint16
	bits *[1024]uint64
}

func (s *portSet) add(p uint16) {
	if s.bits == nil {
		if s.list = append(s.list, p); len(s.list) <= setBits {
			return
		}
		s.bits = new([1024]uint64)
		for _, q := range s.list {
			s.bits[q>>6] |= 1 << (q & 63)
		}
		s.list = nil
		return
	}
	s.bits[p>>6] |= 1 << (p & 63)
}

// format is formatRanges of the set.
func (s *portSet) format() string {
	if s.bits == nil {
		return formatRanges(s.list)
	}
	var b strings.Builder
	has := func(p int) bool { return s.bits[p>>6]&(1<<(p&63)) != 0 }
	for p := 0; p < 1<<16; {
		if s.bits[p>>6] == 0 && p&63 == 0 {
			p += 64
			continue
		}
		if !has(p) {
			p++
			continue
		}
		q := p
		for q+1 < 1<<16 && has(q+1) {
			q++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(p))
		if q > p {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(q))
		}
		p = q + 1
	}
	return b.String()
}

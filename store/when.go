package store

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseWhen reads a moment a user names, relative to now (in now's
// location), for a run reference "@WHEN" (dayEnd: a day stands for its
// end, so that its last run is the state "as of" it) and for ajar history
// --since (a day stands for its start):
//
//   - a date, 2026-12-01;
//   - a date and time, 2026-12-01T15:04, "2026-12-01 15:04", or RFC 3339
//     with a zone;
//   - today, yesterday, or a weekday (tuesday, tue); a weekday is the last one before today, so on a Tuesday,
//     "tuesday" is a week ago;
//   - an age: 36h, 7d, 2w, 90m — that long before now.
func ParseWhen(s string, now time.Time, dayEnd bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	loc := now.Location()
	endOf := func(t time.Time) time.Time {
		y, m, d := t.Date()
		if !dayEnd {
			return time.Date(y, m, d, 0, 0, 0, 0, loc)
		}
		return time.Date(y, m, d+1, 0, 0, 0, 0, loc).Add(-time.Microsecond)
	}
	switch l := strings.ToLower(s); l {
	case "today", "now":
		if l == "now" {
			return now, nil
		}
		return endOf(now), nil
	case "yesterday":
		return endOf(now.AddDate(0, 0, -1)), nil
	default:
		if wd, ok := weekday(l); ok {
			back := (int(now.Weekday()) - int(wd) + 7) % 7
			if back == 0 {
				back = 7
			}
			return endOf(now.AddDate(0, 0, -back)), nil
		}
	}
	if t, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		return endOf(t), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	if age, err := ParseAge(s); err == nil {
		return now.Add(-age), nil
	}
	return time.Time{}, fmt.Errorf("%q: want a date (2026-12-01), a date and time (2026-12-01T15:04), today, yesterday, a weekday (tuesday) or an age (36h, 7d, 2w)", s)
}

// weekday reads a day's English name or its first three letters.
func weekday(s string) (time.Weekday, bool) {
	if len(s) < 3 {
		return 0, false
	}
	for d := time.Sunday; d <= time.Saturday; d++ {
		if name := strings.ToLower(d.String()); name == s || name[:3] == s {
			return d, true
		}
	}
	return 0, false
}

// ParseAge reads an age: a number of days (d) or weeks (w), or a Go
// duration (36h, 90m).
func ParseAge(s string) (time.Duration, error) {
	unit := time.Duration(0)
	switch {
	case strings.HasSuffix(s, "d"):
		unit = 24 * time.Hour
	case strings.HasSuffix(s, "w"):
		unit = 7 * 24 * time.Hour
	}
	if unit != 0 {
		n, err := strconv.ParseFloat(s[:len(s)-1], 64)
		if err != nil || n < 0 || n > 1e5 {
			return 0, fmt.Errorf("%q: want an age such as 90d, 2w or 36h", s)
		}
		return time.Duration(n * float64(unit)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q: want an age such as 90d, 2w or 36h", s)
	}
	return d, nil
}

package store

import (
	"strings"
	"testing"
	"time"
)

// TestParseWhen on a fixed now, Saturday 2026-12-05 13:30 in a zone of
// its own: days end (for @WHEN) or start (for --since) in that zone, a
// weekday is the last one before today, ages count back from now.
func TestParseWhen(t *testing.T) {
	loc := time.FixedZone("X", 2*3600)
	now := time.Date(2026, 12, 5, 13, 30, 0, 0, loc)
	day := func(d int, end bool) time.Time {
		if end {
			return time.Date(2026, 12, d+1, 0, 0, 0, 0, loc).Add(-time.Microsecond)
		}
		return time.Date(2026, 12, d, 0, 0, 0, 0, loc)
	}
	for _, tc := range []struct {
		in   string
		end  bool
		want time.Time
	}{
		{"2026-12-01", true, day(1, true)},
		{"2026-12-01", false, day(1, false)},
		{"2026-12-01T15:04", true, time.Date(2026, 12, 1, 15, 4, 0, 0, loc)},
		{"2026-12-01 15:04:05", false, time.Date(2026, 12, 1, 15, 4, 5, 0, loc)},
		{"2026-12-01T15:04:05.123456Z", true, time.Date(2026, 12, 1, 15, 4, 5, 123456000, time.UTC)},
		{"today", true, day(5, true)},
		{"yesterday", false, day(4, false)},
		{"now", true, now},
		{"Tuesday", true, day(1, true)},
		{"tue", false, day(1, false)},
		{"saturday", true, time.Date(2026, 11, 28, 24, 0, 0, 0, loc).Add(-time.Microsecond)}, // today is Saturday: a week ago
		{"friday", true, day(4, true)},
		{"7d", true, now.Add(-7 * 24 * time.Hour)},
		{"36h", false, now.Add(-36 * time.Hour)},
		{"2w", true, now.Add(-14 * 24 * time.Hour)},
	} {
		got, err := ParseWhen(tc.in, now, tc.end)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("ParseWhen(%q, end %v) = %v, %v; want %v", tc.in, tc.end, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "someday", "tu", "2026-13-01", "-3d", "3x"} {
		if got, err := ParseWhen(bad, now, true); err == nil || !strings.Contains(err.Error(), "want a date") {
			t.Errorf("ParseWhen(%q) = %v, %v; want an error that says what is wanted", bad, got, err)
		}
	}
}

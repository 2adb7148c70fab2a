package udp_test

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ajarsec/ajar/scan/udp"
)

func TestICMPLimitRateAndHint(t *testing.T) {
	port := netip.MustParseAddrPort("192.0.2.7:33434")
	for _, c := range []struct {
		name    string
		l       udp.ICMPLimit
		limited bool
		rate    float64
		hint    string // a part of the hint; "" for none
	}{
		{"every probe answered",
			udp.ICMPLimit{Port: port, Probes: 64, Answered: 64, Burst: 64, LastAnswer: 2 * time.Millisecond, Elapsed: 2 * time.Millisecond},
			false, 0, ""},
		{"linux ipv4 default",
			udp.ICMPLimit{Port: port, Probes: 40, Answered: 9, Burst: 6, SilentAt: time.Millisecond, LastAnswer: 3001 * time.Millisecond, Elapsed: 3100 * time.Millisecond},
			true, 1, "192.0.2.7 limits ICMP port unreachables to about 1.0 a second after a burst of 6: many of its 500 open|filtered UDP ports may be closed. Rescan them alone with --rate 1,"},
		{"nothing after the burst",
			udp.ICMPLimit{Port: port, Probes: 30, Answered: 6, Burst: 6, SilentAt: time.Millisecond, LastAnswer: time.Millisecond / 2, Elapsed: 3001 * time.Millisecond},
			true, 0, "192.0.2.7 sent 6 ICMP port unreachables, then none in 3s"},
		{"never answered",
			udp.ICMPLimit{Port: port, Probes: 30, Elapsed: 3 * time.Second},
			true, 0, ""},
	} {
		l := c.l
		if l.Limited() != c.limited || l.Rate() != c.rate {
			t.Errorf("%s: limited %v rate %v, want %v %v", c.name, l.Limited(), l.Rate(), c.limited, c.rate)
		}
		hint := l.Hint(500)
		if (c.hint == "") != (hint == "") || !strings.Contains(hint, c.hint) {
			t.Errorf("%s: hint %q, want %q", c.name, hint, c.hint)
		}
		if l.Hint(0) != "" {
			t.Errorf("%s: a hint with no open|filtered ports: %q", c.name, l.Hint(0))
		}
	}
}

func TestMeasureICMPLimitArguments(t *testing.T) {
	w := udp.Prober{}.NewWorker()
	defer w.Close()
	if _, err := udp.MeasureICMPLimit(t.Context(), w, netip.MustParseAddrPort("127.0.0.1:9"), 0, time.Second); err == nil {
		t.Error("no error for a zero wait")
	}
}

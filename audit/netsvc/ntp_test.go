package netsvc

import (
	"encoding/binary"
	"strings"
	"testing"
)

// mode6 is a READVAR response fragment carrying text; more sets the
// "more" bit.
func mode6(text string, more bool) []byte {
	b := []byte{0x16, 0x82, 0, 1, 0x06, 0x15, 0, 0, 0, 0, 0, 0}
	if more {
		b[1] |= 0x20
	}
	binary.BigEndian.PutUint16(b[10:], uint16(len(text)))
	return append(b, text...)
}

func TestJudgeNTP(t *testing.T) {
	// The start of ntpd 4.2.8's system variables.
	const vars = `version="ntpd 4.2.8p15@1.3728-o", processor="x86_64", system="Linux/6.1.0", leap=11, stratum=16, precision=-24, rootdelay=0.000, rootdisp=0.000, refid=INIT, reftime=0x00000000.00000000, clock=0xe9c0a000.00000000, peer=0, tc=3, mintc=3`
	long := strings.Repeat("x", 400)
	for _, tc := range []struct {
		name    string
		replies [][]byte
		mode    int
		want    string
	}{
		{"readvar", [][]byte{mode6(vars, false)}, 6, "ntp-mode6-amplification/medium confirmed"},
		{"readvar in fragments", [][]byte{mode6(vars+long, true), mode6(long+long, false)}, 6, "ntp-mode6-amplification/high confirmed"},
		{"error bit", [][]byte{{0x16, 0xc2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}}, 6, "n/a"},
		// A mode 3 server answer (chrony answers only those): not mode 6.
		{"server mode", [][]byte{append([]byte{0x24, 2, 0, 0xe9}, make([]byte, 44)...)}, 6, "n/a"},
		{"silence", nil, 6, "n/a"},
		// ntpd 4.2.6's monlist: one 440-byte datagram per six clients.
		{"monlist", [][]byte{append([]byte{0xd7, 0x00, 0x03, 0x2a, 0x00, 0x06, 0x00, 0x48}, make([]byte, 432)...)}, 7, "ntp-monlist-amplification/high confirmed"},
		{"monlist refused", [][]byte{{0x97, 0x00, 0x03, 0x2a, 0x40, 0, 0, 0}}, 7, "ntp-monlist-amplification/high confirmed"},
		{"mode 7 other code", [][]byte{{0x97, 0x00, 0x03, 0x10, 0, 0, 0, 0}}, 7, "n/a"},
	} {
		var got string
		if tc.mode == 6 {
			got = judged(JudgeMode6(len(Mode6ReadVar), tc.replies))
		} else {
			got = judged(JudgeMonlist(len(Mode7Monlist), tc.replies))
		}
		if got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
	fs, _ := JudgeMode6(12, [][]byte{mode6(vars, false)})
	if !strings.Contains(fs[0].Evidence, "amplification 20.5x") || !strings.Contains(fs[0].Evidence, `version="ntpd 4.2.8p15`) {
		t.Errorf("evidence %q: want the factor and the version", fs[0].Evidence)
	}
	if len(Mode6ReadVar) != 12 || len(Mode7Monlist) != 48 {
		t.Error("request sizes")
	}
}

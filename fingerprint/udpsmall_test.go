package fingerprint_test

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// TestIdentifyUDPSmallServices plays RFC 862-868's small services over
// UDP on ports of no protocol: each answers every probe of every other
// protocol too (the echo sends each back unchanged), and none of those
// may take the answer for its own.
func TestIdentifyUDPSmallServices(t *testing.T) {
	for _, tt := range []struct {
		want  string
		reply func([]byte) []byte
	}{
		{"echo", func(b []byte) []byte { return b }},
		{"daytime", func([]byte) []byte { return []byte(time.Now().Format("Mon Jan _2 15:04:05 2006") + "\r\n") }},
		{"time", func([]byte) []byte {
			return binary.BigEndian.AppendUint32(nil, uint32(time.Now().Unix()+2208988800))
		}},
		{"chargen", func([]byte) []byte {
			return []byte(" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefg\r\n")
		}},
	} {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			addr := fptest.ServeUDP(t, tt.reply)
			if name, err := identifyUDP(t, udpQuick, addr); name != tt.want {
				t.Errorf("%s on port %d: %q, %v", tt.want, addr.Port(), name, err)
			}
		})
	}
}

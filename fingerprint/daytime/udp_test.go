package daytime

import (
	"testing"
	"time"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

func TestUDP(t *testing.T) {
	p := fptest.UDPPlugin(t, "daytime")
	// openbsd-inetd's daytime_dg: ctime(3) and CRLF.
	fptest.MustMatch(t, p, fptest.ServeUDP(t, func([]byte) []byte {
		return []byte(time.Now().Format("Mon Jan _2 15:04:05 2006") + "\r\n")
	}))
	fptest.MustNotMatch(t, p, fptest.ServeUDP(t, func(b []byte) []byte { return b }))
}

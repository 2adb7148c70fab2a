package timeproto

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

func TestUDP(t *testing.T) {
	p := fptest.UDPPlugin(t, "time")
	fptest.MustMatch(t, p, fptest.ServeUDP(t, func([]byte) []byte {
		return binary.BigEndian.AppendUint32(nil, uint32(time.Now().Unix()-epoch1900))
	}))
	fptest.MustNotMatch(t, p, fptest.ServeUDP(t, func([]byte) []byte { return []byte{0, 0, 0, 1} }))
}

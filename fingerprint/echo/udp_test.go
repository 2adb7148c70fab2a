package echo

import (
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

func TestUDP(t *testing.T) {
	p := fptest.UDPPlugin(t, "echo")
	fptest.MustMatch(t, p, fptest.ServeUDP(t, func(b []byte) []byte { return b }))
	fptest.MustNotMatch(t, p, fptest.ServeUDP(t, func(b []byte) []byte { return append([]byte("x"), b...) }))
}

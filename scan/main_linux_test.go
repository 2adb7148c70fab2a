package scan_test

import (
	"os"
	"testing"

	"github.com/ajarsec/ajar/internal/netnstest"
)

// TestMain runs these tests in a network namespace of their own: they scan
// 127.0.0.1 and ::1 and take a port found free for closed, which on the
// shared loopback another package's listener may take a moment later.
func TestMain(m *testing.M) { os.Exit(netnstest.Main(m)) }

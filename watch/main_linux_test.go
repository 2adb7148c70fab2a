package watch_test

import (
	"os"
	"testing"

	"github.com/ajarsec/ajar/internal/netnstest"
)

// TestMain runs these tests in a network namespace of their own: the
// rescans scan 127.0.0.1, and take a port found free for closed.
func TestMain(m *testing.M) { os.Exit(netnstest.Main(m)) }

//go:build linux

package netnstest

import (
	"bytes"
	"net"
	"os"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// TestMainOwnNamespace: Main ran this test in a network namespace that is
// not its parent's, with a loopback that carries 127.0.0.1 and ::1.
func TestMainOwnNamespace(t *testing.T) {
	if os.Getenv(insideEnv) != "1" {
		if os.Getenv("CI") == "true" {
			t.Fatal("Main ran the tests on the shared loopback; under CI=true it must make a namespace")
		}
		t.Skip("Main could not make a namespace here")
	}
	self, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	if parent := os.Getenv(parentEnv); self == parent || parent == "" {
		t.Fatalf("the tests run in their parent's network namespace, %s", self)
	}
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0"} {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("listen %s: %v", addr, err)
		}
		c, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatalf("dial %s: %v", l.Addr(), err)
		}
		c.Close()
		l.Close()
	}
}

// TestMainUserNamespace: the way Main takes when it is not root, a network
// namespace inside a user namespace, also runs the tests there.
func TestMainUserNamespace(t *testing.T) {
	if os.Getenv(insideEnv) != "1" {
		t.Skip("runs from inside the namespace Main made")
	}
	var out bytes.Buffer
	code, err := runInside(userNS(), []string{"-test.run=^TestMainOwnNamespace$", "-test.count=1", "-test.v"}, &out)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("a user namespace: %v", err)
		}
		t.Skipf("no user namespace here: %v", err)
	}
	if code != 0 {
		t.Fatalf("the test in a user namespace exited %d:\n%s", code, out.Bytes())
	}
	if !bytes.Contains(out.Bytes(), []byte("--- PASS: TestMainOwnNamespace")) {
		t.Fatalf("the test in a user namespace did not pass:\n%s", out.Bytes())
	}
}

package gearman

import (
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// What gearmand 1.1.20 (Debian 12) answers to "version" and "status".
const (
	version  = "OK 1.1.20+ds\n"
	status   = ".\n"
	statusFn = "reverse\t2\t1\t3\nresize\t0\t0\t1\n.\n"
)

// others are answers of other protocols to "version\n", and broken ones.
var others = []string{
	"",
	"VERSION 1.6.18\r\n", // memcached
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\n\r\n",
	"ERR UNKNOWN_COMMAND Unknown+server+command\r\n",
	"UNKNOWN_COMMAND\r\n",
	"OK\r\n",
	"OK 956\r\n---\n", // beanstalkd's stats: no dot in the number
	"OK ready\r\n",
	"OK 1.1 \x01\n",
	"OK 1.1.20",
}

func TestParse(t *testing.T) {
	svc := fptest.CheckParse(t, "Parse", Parse, []byte(version))
	if svc == nil || svc.Name != "gearman" || svc.Version != "1.1.20+ds" || svc.Product != "Gearman job server" {
		t.Errorf("Parse(%q) = %+v", version, svc)
	}
	fptest.NoMatch(t, "Parse", Parse, others...)
}

func TestIsStatus(t *testing.T) {
	for in, want := range map[string]bool{
		status: true, statusFn: true, ".\r\n": true,
		"": false, "reverse\t2\t1\n.\n": false, "reverse\t2\t1\tx\n.\n": false,
		"+OK\r\n.\r\n": false, "reverse\t2\t1\t3\n": false,
	} {
		if got := IsStatus([]byte(in)); got != want {
			t.Errorf("IsStatus(%q) = %v, want %v", in, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range append([]string{version, statusFn}, others...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
		IsStatus(b)
		statusDone(b)
	})
}

func TestIdentifyLive(t *testing.T) {
	srv := fptest.Lines{Replies: map[string]string{"version": version, "status": statusFn},
		Unknown: "ERR UNKNOWN_COMMAND Unknown+server+command\r\n"}
	svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, srv.Handle))
	if svc.Version != "1.1.20+ds" {
		t.Errorf("got %+v", svc)
	}
	// "OK <version>", then no status list: a shape only.
	shape := fptest.Lines{Replies: map[string]string{"version": version}, Unknown: "ERROR\r\n"}
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, shape.Handle))
	fptest.MustNotMatch(t, plugin{}, fptest.HangUp(t))
}

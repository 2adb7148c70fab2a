package fingerprint_test

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/ajarsec/ajar/fingerprint"
	_ "github.com/ajarsec/ajar/fingerprint/all"
	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/portspec"
)

// TestNoFalseNames plays servers that greet alike and answer as
// different protocols, and runs the whole identification on each, every
// plugin compiled in: a greeting's shape names nothing, the second
// exchange does. Each server answers as its protocol's servers do; the
// ones whose protocol no plugin can confirm from that greeting must come
// out unknown, never with another protocol's name.
func TestNoFalseNames(t *testing.T) {
	smtp := fptest.Lines{Greeting: []string{"220 ready\r\n"}, Unknown: "500 5.5.1 Unrecognized command\r\n",
		Replies: map[string]string{"EHLO ajar.invalid": "250-mx.example.org Hello\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n"}}
	smtpPlain := fptest.Lines{Greeting: []string{"220 ready\r\n"}, Unknown: "502 Command not implemented\r\n",
		Replies: map[string]string{"HELO ajar.invalid": "250 mx.example.org\r\n"}}
	nntp := fptest.Lines{Greeting: []string{"220 ready\r\n"}, Unknown: "500 What?\r\n",
		Replies: map[string]string{
			"CAPABILITIES": "101 Capability list:\r\nVERSION 2\r\nREADER\r\n.\r\n",
			"HELP":         "100 Legal commands\r\n  article\r\n.\r\n"}}
	ftp := fptest.Lines{Greeting: []string{"220 ready\r\n"}, Unknown: "500 Unknown command.\r\n",
		Replies: map[string]string{"FEAT": "211-Features:\r\n EPSV\r\n211 End\r\n"}}
	ftpOld := fptest.Lines{Greeting: []string{"220 ready\r\n"}, Unknown: "500 Unknown command.\r\n",
		Replies: map[string]string{"USER anonymous": "331 Password required for anonymous\r\n"}}
	mute := func(c net.Conn) { c.Write([]byte("220 ready\r\n")); io.Copy(io.Discard, c) }
	echo := func(c net.Conn) { c.Write([]byte("220 ready\r\n")); io.Copy(c, c) }
	for _, tt := range []struct {
		name   string
		handle func(net.Conn)
		want   string
	}{
		{"smtp", smtp.Handle, "smtp"},
		{"smtp-helo-only", smtpPlain.Handle, "smtp"},
		{"nntp", nntp.Handle, "unknown"},
		{"ftp", ftp.Handle, "ftp"},
		{"ftp-without-feat", ftpOld.Handle, "ftp"},
		{"mute", mute, "unknown"},
		{"echo", echo, "unknown"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr := fptest.Serve(t, tt.handle)
			cfg := fingerprint.Config{Timeout: 8 * time.Second, ProbeTimeout: 700 * time.Millisecond, BannerWait: 300 * time.Millisecond}
			svc, err := cfg.Identify(context.Background(), fingerprint.Target{Addr: addr, Proto: portspec.TCP})
			if err != nil {
				t.Fatalf("want %s: %v", tt.want, err)
			}
			if svc.Name != tt.want {
				t.Errorf("named %q (%+v), want %q", svc.Name, svc, tt.want)
			}
			if tt.want == "unknown" && svc.Banner != `220 ready\r\n` {
				t.Errorf("unknown without its banner: %+v", svc)
			}
		})
	}
}

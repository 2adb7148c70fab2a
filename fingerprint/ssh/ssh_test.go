package ssh

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/record"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want *record.Service
	}{
		{"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", &record.Service{
			Name: "ssh", Product: "OpenSSH", Version: "9.2p1", ExtraInfo: "Debian 2+deb12u3; protocol 2.0", Confidence: 10,
			CPE: []string{"cpe:2.3:a:openbsd:openssh:9.2p1:*:*:*:*:*:*:*", "cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*"}}},
		{"SSH-2.0-dropbear_2022.83\r\n", &record.Service{
			Name: "ssh", Product: "Dropbear sshd", Version: "2022.83", ExtraInfo: "protocol 2.0", Confidence: 10,
			CPE: []string{"cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:2022.83:*:*:*:*:*:*:*"}}},
		{"Welcome\r\nSSH-1.99-Cisco-1.25\r\n", &record.Service{
			Name: "ssh", Product: "Cisco SSH", Version: "1.25", ExtraInfo: "protocol 1.99", Confidence: 10,
			CPE: []string{"cpe:2.3:a:cisco:ios:1.25:*:*:*:*:*:*:*"}}},
		{"SSH-2.0-WeirdServer\n", &record.Service{Name: "ssh", Product: "WeirdServer", ExtraInfo: "protocol 2.0", Confidence: 10}},
	}
	for _, tt := range tests {
		got, err := Parse([]byte(tt.in))
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
	for _, in := range []string{"", "220 ftp ready\r\n", "SSH-\r\n", "SSH-3.0-x\r\n", "HTTP/1.1 200 OK\r\n"} {
		if got, err := Parse([]byte(in)); !errors.Is(err, fingerprint.ErrNoMatch) {
			t.Errorf("Parse(%q) = %+v, %v; want ErrNoMatch", in, got, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"))
	f.Add([]byte("x\nSSH-1.99-\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
	})
}

func TestIdentifyLive(t *testing.T) {
	addr := fptest.Serve(t, fptest.Reply([]byte("SSH-2.0-OpenSSH_9.6\r\n"), 0))
	svc := fptest.MustMatch(t, plugin{}, addr)
	if svc.Product != "OpenSSH" || svc.Version != "9.6" || svc.Method != "probed" {
		t.Errorf("got %+v", svc)
	}
	other := fptest.Serve(t, fptest.Reply([]byte("220 mail ESMTP\r\n"), 0))
	fptest.MustNotMatch(t, plugin{}, other)
	silent := fptest.HangUp(t)
	fptest.MustNotMatch(t, plugin{}, silent)
}

package noauth

import (
	"bytes"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/snmp"
)

// response turns a GetRequest into the GetResponse an agent sends back
// (the PDU's tag 0xa0 becomes 0xa2), varbinds and all.
func response(req []byte) []byte {
	b := bytes.Clone(req)
	i := bytes.Index(b, []byte("public"))
	if i < 0 {
		i = bytes.Index(b, []byte("private"))
		b[i+len("private")] = 0xa2
		return b
	}
	b[i+len("public")] = 0xa2
	return b
}

func TestJudgeSNMP(t *testing.T) {
	for name, tc := range map[string]struct {
		in   []byte
		want string
	}{
		"v2c public":        {response(snmp.GetRequest(snmp.Version2c, "public", snmpID)), "snmp-public-community/high"},
		"v1 public":         {response(snmp.GetRequest(snmp.Version1, "public", snmpID)), "snmp-public-community/high"},
		"another id":        {response(snmp.GetRequest(snmp.Version2c, "public", 7)), "n/a"},
		"another community": {response(snmp.GetRequest(snmp.Version2c, "private", snmpID)), "n/a"},
		"our own request":   {snmp.GetRequest(snmp.Version2c, "public", snmpID), "n/a"},
		"v3 report":         {snmp.DiscoveryRequest(snmpID), "n/a"},
		"garbage":           {[]byte("\x30\x03\x02\x01"), "n/a"},
	} {
		if got := judged(JudgeSNMP(tc.in)); got != tc.want {
			t.Errorf("%s: %s, want %s", name, got, tc.want)
		}
	}
}

func TestJudgeRsync(t *testing.T) {
	for in, want := range map[string]string{
		// rsync 3.2.7 (Debian 12), one module with a comment.
		"zoo            \tajar zoo\n@RSYNCD: EXIT\n": "rsync-modules-listed/low",
		"a\tone\nb\ttwo\n@RSYNCD: EXIT\n":            "rsync-modules-listed/low",
		// Every module has list = no.
		"@RSYNCD: EXIT\n": "n/a",
		"@ERROR: access denied to  from 10.0.0.1\n@RSYNCD: EXIT\n": "n/a",
		"zoo\tajar zoo\n": "n/a", // cut short
	} {
		if got := judged(JudgeRsync([]byte(in))); got != want {
			t.Errorf("JudgeRsync(%q) = %s, want %s", in, got, want)
		}
	}
}

func FuzzMoreJudges(f *testing.F) {
	f.Add(response(snmp.GetRequest(snmp.Version2c, "public", snmpID)))
	f.Add([]byte("zoo\tx\n@RSYNCD: EXIT\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		JudgeSNMP(b)
		JudgeRsync(b)
	})
}

func TestJudgeVNC(t *testing.T) {
	for _, tc := range []struct {
		version, types, want string
	}{
		// TigerVNC 1.12 with -SecurityTypes None.
		{"RFB 003.008\n", "\x01\x01", "vnc-no-auth/critical"},
		{"RFB 003.008\n", "\x02\x02\x01", "vnc-no-auth/critical"},
		// VncAuth only; VeNCrypt only.
		{"RFB 003.008\n", "\x01\x02", "n/a"},
		{"RFB 003.008\n", "\x01\x13", "n/a"},
		// RFB 3.3: the server chose None, or VncAuth.
		{"RFB 003.003\n", "\x00\x00\x00\x01", "vnc-no-auth/critical"},
		{"RFB 003.003\n", "\x00\x00\x00\x02", "n/a"},
		// A refusal: no types, then a reason.
		{"RFB 003.008\n", "\x00\x00\x00\x00\x05nope!", "n/a"},
		{"RFB 003.008\n", "\x03\x01", "n/a"}, // cut short
		{"HTTP/1.1 400\r\n", "\x01\x01", "n/a"},
	} {
		if got := judged(JudgeVNC([]byte(tc.version), []byte(tc.types))); got != tc.want {
			t.Errorf("JudgeVNC(%q, %q) = %s, want %s", tc.version, tc.types, got, tc.want)
		}
	}
}

func TestJudgeTelnet(t *testing.T) {
	for in, want := range map[string]string{
		// inetutils telnetd 2.4 (Debian 12): DO TERMINAL-TYPE, DO
		// TERMINAL-SPEED, DO X-DISPLAY-LOCATION, ...
		"\xff\xfd\x18\xff\xfd\x20\xff\xfd\x23\xff\xfd\x27": "telnet-cleartext/high",
		"\xff\xfb\x01":                 "telnet-cleartext/high",
		"login: ":                      "n/a",
		"HTTP/1.1 400 Bad Request\r\n": "n/a",
		"\xff\xf1\x00":                 "n/a", // IAC NOP: not a negotiation
		"\xff":                         "n/a",
	} {
		if got := judged(JudgeTelnet([]byte(in))); got != want {
			t.Errorf("JudgeTelnet(%q) = %s, want %s", in, got, want)
		}
	}
}

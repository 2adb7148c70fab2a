package rethinkdb

import (
	"bytes"
	"io"
	"net"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// Answers to the V1_0 magic number: success as "Writing RethinkDB
// drivers" (rethinkdb.com/docs/writing-drivers) shows it for a 2.3
// server; the failure object as it describes it (success false, error,
// error_code); the text a server older than 2.3 sends to a magic number
// it does not know.
const (
	success = `{"success":true,"min_protocol_version":0,"max_protocol_version":0,"server_version":"2.3.0"}` + "\x00"
	failure = `{"success":false,"error":"Received an unsupported protocol version.","error_code":18}` + "\x00"
	old     = "ERROR: Received an unsupported protocol version. This port is for RethinkDB queries. " +
		"Does your client driver version not match the server?\n\x00"
)

var others = []string{
	"",
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\n\r\n",
	"\x15\x03\x01\x00\x02\x02\x50",
	success[:40],
	success[:len(success)-1],     // no NUL
	success + "x",                // bytes after the NUL
	`{"success":true}` + "\x00",  // no versions
	`{"ok":1}` + "\x00",          // another JSON
	`{"success":false}` + "\x00", // failure without an error
	"ERROR: bad command\n\x00",   // an error that does not say RethinkDB
	`{"success":true,"min_protocol_version":0,"max_protocol_version":0,"server_version":"2.3 <b>"}` + "\x00",
	Magic,
}

func TestParse(t *testing.T) {
	tests := []struct{ in, version, extra string }{
		{success, "2.3.0", ""},
		{failure, "", "error: Received an unsupported protocol version."},
		{old, "", "error: Received an unsupported protocol version. This port is for RethinkDB queries. " +
			"Does your client driver version not match the server?"},
	}
	for _, tt := range tests {
		svc, err := Parse([]byte(tt.in))
		if err != nil || svc.Product != "RethinkDB" || svc.Version != tt.version || svc.ExtraInfo != tt.extra {
			t.Errorf("Parse(%q) = %+v, %v", tt.in, svc, err)
		}
	}
	if svc, _ := Parse([]byte(success)); svc.CPE[0] != "cpe:2.3:a:rethinkdb:rethinkdb:2.3.0:*:*:*:*:*:*:*" {
		t.Errorf("CPE %v", svc.CPE)
	}
	fptest.NoMatch(t, "Parse", Parse, others...)
}

func FuzzParse(f *testing.F) {
	for _, s := range append([]string{success, failure, old}, others...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { fptest.CheckParse(t, "Parse", Parse, b) })
}

// server answers the magic number in two pieces, and closes on anything
// else.
func server(c net.Conn) {
	b := make([]byte, 4)
	if _, err := io.ReadFull(c, b); err != nil || !bytes.Equal(b, []byte(Magic)) {
		return
	}
	c.Write([]byte(success[:10]))
	c.Write([]byte(success[10:]))
	io.Copy(io.Discard, c)
}

func TestIdentifyLive(t *testing.T) {
	svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, server))
	if svc.Version != "2.3.0" {
		t.Errorf("got %+v", svc)
	}
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, fptest.Reply([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"), 4)))
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, func(c net.Conn) { io.Copy(c, c) }))
	fptest.MustNotMatch(t, plugin{}, fptest.Silent(t))
}

package zabbix

import (
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// agent6014 is Zabbix agent 6.0.14's (Debian 12) answer to agent.version.
const agent6014 = "ZBXD\x01\x06\x00\x00\x00\x00\x00\x00\x006.0.14"

func TestParse(t *testing.T) {
	if svc := fptest.CheckParse(t, "Parse", Parse, []byte(agent6014)); svc.Product != "Zabbix agent" || svc.Version != "6.0.14" {
		t.Errorf("got %+v", svc)
	}
	ns := "ZBXD\x01\x26\x00\x00\x00\x00\x00\x00\x00ZBX_NOTSUPPORTED\x00Unsupported item key."
	if svc := fptest.CheckParse(t, "Parse", Parse, []byte(ns)); svc.Version != "" || svc.ExtraInfo == "" {
		t.Errorf("got %+v", svc)
	}
	fptest.NoMatch(t, "Parse", Parse, agent6014[:15], "ZBXD\x01\x06\x00\x00\x00\x00\x00\x00\x00hello!",
		"ZBXD\xf1\x06\x00\x00\x00\x00\x00\x00\x006.0.14", "HTTP/1.1 400 Bad Request\r\n")
	if string(Request("agent.version")) != "ZBXD\x01\x0d\x00\x00\x00\x00\x00\x00\x00agent.version" {
		t.Errorf("request %q", Request("agent.version"))
	}
}

func TestIdentify(t *testing.T) {
	svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, fptest.Reply([]byte(agent6014), len(Request("agent.version")))))
	if svc.Version != "6.0.14" {
		t.Errorf("got %+v", svc)
	}
	fptest.MustNotMatch(t, plugin{}, fptest.HangUp(t))
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(agent6014))
	f.Fuzz(func(t *testing.T, b []byte) { Parse(b) })
}

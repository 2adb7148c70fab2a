package teamspeak

import (
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// The greeting and the answer to "version" of the TeamSpeak 3 Server
// Query Manual (its "version" example), with the line ends a server
// sends ("\n\r").
const (
	greeting = "TS3\n\rWelcome to the TeamSpeak 3 ServerQuery interface, type \"help\" for a list of commands " +
		"and \"help <command>\" for information on a specific command.\n\r"
	manualVersion = "version=3.0.0-beta16 build=9929 platform=Linux\n\rerror id=0 msg=ok\n\r"
	// banned is a server's answer to a client it banned for flooding.
	banned = "error id=3329 msg=connection\\sfailed,\\syou\\sare\\sbanned extra_msg=you\\smay\\sretry\\sin\\s600\\sseconds\n\r"
)

func TestParse(t *testing.T) {
	if !Greeting([]byte(greeting)) || Greeting([]byte("TS3 server\n")) || Greeting([]byte("TS3")) {
		t.Error("Greeting")
	}
	svc := fptest.CheckParse(t, "Parse", Parse, []byte(manualVersion))
	if svc == nil || svc.Version != "3.0.0-beta16" || svc.ExtraInfo != "build 9929; Linux" ||
		svc.CPE[0] != "cpe:2.3:a:teamspeak:teamspeak3:3.0.0-beta16:*:*:*:*:*:*:*" {
		t.Errorf("Parse(manual) = %+v", svc)
	}
	if svc := fptest.CheckParse(t, "Parse", Parse, []byte(banned)); svc == nil ||
		svc.ExtraInfo != "version refused: connection failed, you are banned" {
		t.Errorf("Parse(banned) = %+v", svc)
	}
	fptest.NoMatch(t, "Parse", Parse, "", "version\n", greeting, "error id=0 msg=ok", // no line end
		"version=3 build=1\n\rerror id=0 msg=ok\n\r"[:20], "error id=0 msg=ok\n\r", // no version
		"-ERR unknown command 'version'\r\n", "500 Unknown command\r\n")
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{manualVersion, banned, greeting} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
		Greeting(b)
	})
}

func TestIdentifyLive(t *testing.T) {
	ts3 := fptest.Lines{Greeting: []string{greeting}, Unknown: "error id=256 msg=command\\snot\\sfound\n\r",
		Replies: map[string]string{"version": manualVersion}}
	if svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, ts3.Handle)); svc.Version != "3.0.0-beta16" {
		t.Errorf("got %+v", svc)
	}
	// A server that greets so and answers no ServerQuery is not named.
	odd := fptest.Lines{Greeting: []string{greeting}, Unknown: "500 What?\r\n"}
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, odd.Handle))
	other := fptest.Lines{Greeting: []string{"220 ready\r\n"}, Unknown: manualVersion}
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, other.Handle))
}

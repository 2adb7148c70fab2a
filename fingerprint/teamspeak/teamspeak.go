// Package teamspeak recognises the ServerQuery interface of TeamSpeak 3
// servers (TeamSpeak 3 Server Query Manual): it greets with "TS3" and a
// welcome line, each ended by "\n\r". The greeting is only a shape: the
// plugin sends the "version" command, and names the service when the
// answer ends with ServerQuery's status line ("error id=0 msg=ok"),
// after the version, build and platform.
package teamspeak

import (
	"bytes"
	"context"
	"regexp"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/internal/ask"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "teamspeak", Proto: portspec.TCP, Ports: []uint16{10011}, ServerFirst: true, Rarity: 7}
}

const maxAnswer = 1024

// Greeting reports whether a banner is ServerQuery's: "TS3" alone on
// the first line.
func Greeting(b []byte) bool {
	first, _, ok := bytes.Cut(b, []byte("\n"))
	return ok && string(bytes.TrimRight(first, "\r")) == "TS3"
}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	if !Greeting(c.Banner()) {
		return nil, fingerprint.ErrNoMatch
	}
	b, err := ask.Exchange(c, []byte("version\n"), statusDone, maxAnswer)
	if err != nil {
		return nil, err
	}
	return Parse(b)
}

// status is ServerQuery's status line, which ends every answer; after
// the "\n\r" that ends the line before, it starts with the "\r".
var status = regexp.MustCompile(`(?m)^\r?error id=(\d+) msg=(\S*)`)

// statusDone is a ReadUntil test: the status line arrived whole.
func statusDone(b []byte) bool {
	loc := status.FindIndex(b)
	return loc != nil && bytes.IndexByte(b[loc[1]:], '\n') >= 0
}

// Parse reads the answer to "version": "version=<v> build=<n>
// platform=<os>", then the status line. A refusal (a status line with
// another id) names the service too, without a version.
func Parse(b []byte) (*record.Service, error) {
	text := strings.ReplaceAll(string(b), "\r", "")
	m := status.FindStringSubmatch(text)
	if m == nil || !statusDone(b) {
		return nil, fingerprint.ErrNoMatch
	}
	svc := &record.Service{Name: "teamspeak", Product: "TeamSpeak 3 ServerQuery", Confidence: 10}
	if m[1] != "0" {
		svc.ExtraInfo = "version refused: " + unescape(m[2])
		return svc, nil
	}
	first, _, _ := strings.Cut(text, "\n")
	fields := map[string]string{}
	for _, f := range strings.Fields(first) {
		if k, v, ok := strings.Cut(f, "="); ok {
			fields[k] = unescape(v)
		}
	}
	if fields["version"] == "" {
		return nil, fingerprint.ErrNoMatch
	}
	// "3.13.7" or "3.0.0-beta16 [Build: 9929]".
	svc.Version, _, _ = strings.Cut(fields["version"], " ")
	svc.CPE = []string{fingerprint.CPE("teamspeak", "teamspeak3", svc.Version)}
	var info []string
	if v := fields["build"]; v != "" {
		info = append(info, "build "+v)
	}
	if v := fields["platform"]; v != "" {
		info = append(info, v)
	}
	svc.ExtraInfo = strings.Join(info, "; ")
	return svc, nil
}

// unescape undoes ServerQuery's escapes that matter in a version: "\s"
// for a space, "\/" for a slash.
func unescape(s string) string {
	return strings.NewReplacer(`\s`, " ", `\/`, "/", `\p`, "|").Replace(s)
}

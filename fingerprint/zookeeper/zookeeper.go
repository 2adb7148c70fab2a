// Package zookeeper recognises Apache ZooKeeper servers by the "srvr"
// four-letter word, which answers with the version and the server's
// mode (standalone, leader, follower) and closes. Since 3.5 the command
// must be allowed by 4lw.commands.whitelist (srvr is by default); a
// refusal names ZooKeeper all the same.
package zookeeper

import (
	"bytes"
	"context"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{
		Name:   "zookeeper",
		Proto:  portspec.TCP,
		Ports:  []uint16{2181},
		Rarity: 7,
	}
}

// srvr is the four-letter word: ZooKeeper reads it as the first four
// bytes of a packet length.
var srvr = []byte("srvr")

const (
	notAllowed = "srvr is not executed because it is not in the whitelist."
	notServing = "This ZooKeeper instance is not currently serving requests"
)

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	// The server closes after answering; EOF ends a whole answer.
	b, err := c.Exchange(srvr, answerDone, 4096)
	if len(b) == 0 {
		if err == nil {
			err = fingerprint.ErrNoMatch
		}
		return nil, err
	}
	return Parse(b)
}

// answerDone is a ReadUntil test: the srvr answer's last line, a refusal,
// or a first line that is not ZooKeeper's.
func answerDone(b []byte) bool {
	if !bytes.HasPrefix(b, []byte("Zookeeper version: ")) && !bytes.HasPrefix([]byte("Zookeeper version: "), b) {
		return bytes.IndexByte(b, '\n') >= 0
	}
	i := bytes.Index(b, []byte("\nNode count:"))
	return i >= 0 && bytes.IndexByte(b[i+1:], '\n') >= 0
}

// Parse reads the answer to "srvr".
func Parse(b []byte) (*record.Service, error) {
	svc := &record.Service{Name: "zookeeper", Product: "Apache ZooKeeper", Confidence: 10}
	first, _, _ := bytes.Cut(b, []byte("\n"))
	switch line := strings.TrimRight(string(first), "\r"); {
	case line == notAllowed:
		svc.ExtraInfo, svc.Confidence = "srvr not allowed", 8
	case line == notServing:
		svc.ExtraInfo, svc.Confidence = "not serving requests", 8
	case strings.HasPrefix(line, "Zookeeper version: "):
		v, built, _ := strings.Cut(strings.TrimPrefix(line, "Zookeeper version: "), ", built on ")
		v, _, _ = strings.Cut(v, "-") // the git commit follows
		if !isVersion(v) {
			return nil, fingerprint.ErrNoMatch
		}
		svc.Version = v
		var extra []string
		if built != "" {
			extra = append(extra, "built on "+fingerprint.Printable([]byte(built), 40))
		}
		fields := statFields(b)
		if fields["Latency min/avg/max"] == "" && fields["Mode"] == "" {
			return nil, fingerprint.ErrNoMatch
		}
		if m := fields["Mode"]; m != "" {
			extra = append(extra, "mode: "+fingerprint.Printable([]byte(m), 20))
		}
		svc.ExtraInfo = strings.Join(extra, "; ")
	default:
		return nil, fingerprint.ErrNoMatch
	}
	svc.CPE = []string{fingerprint.CPE("apache", "zookeeper", svc.Version)}
	return svc, nil
}

// statFields reads the "Name: value" lines of the answer.
func statFields(b []byte) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(strings.TrimRight(line, "\r"), ": "); ok {
			out[k] = v
		}
	}
	return out
}

func isVersion(s string) bool {
	if s == "" || len(s) > 32 || s[0] < '0' || s[0] > '9' {
		return false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && r != '.' {
			return false
		}
	}
	return true
}

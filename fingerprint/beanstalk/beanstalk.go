// Package beanstalk recognises beanstalkd work queues by their answer to
// the "stats" command of the beanstalk protocol (doc/protocol.txt of
// beanstalkd): "OK <bytes>" and a YAML dictionary that names the version.
package beanstalk

import (
	"bytes"
	"context"
	"strconv"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/internal/banner"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "beanstalk", Proto: portspec.TCP, Ports: []uint16{11300}, Rarity: 7}
}

// statsMax bounds the answer to stats (about 1 KB from beanstalkd 1.12).
const statsMax = 16 << 10

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := c.Exchange([]byte("stats\r\n"), statsDone, statsMax)
	if err != nil && !statsDone(b) {
		if len(b) == 0 {
			return nil, err
		}
		return nil, fingerprint.ErrNoMatch
	}
	return Parse(b)
}

// statsDone is a ReadUntil test: the "OK <bytes>" line and as many bytes
// after it, or a line that is not "OK".
func statsDone(b []byte) bool {
	line, rest, ok := bytes.Cut(b, []byte("\n"))
	if !ok {
		return false
	}
	n, ok := okLength(line)
	return !ok || len(rest) >= n
}

// okLength reads "OK <bytes>\r".
func okLength(line []byte) (int, bool) {
	s, ok := strings.CutPrefix(strings.TrimSuffix(string(line), "\r"), "OK ")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 || n > statsMax {
		return 0, false
	}
	return n, true
}

// Parse reads the answer to "stats": "OK <bytes>\r\n", then a YAML
// dictionary of that many bytes that starts "---" and holds the queue's
// counters ("current-jobs-ready: 0") and "version: "1.12"".
func Parse(b []byte) (*record.Service, error) {
	line, rest, ok := bytes.Cut(b, []byte("\n"))
	if !ok {
		return nil, fingerprint.ErrNoMatch
	}
	n, ok := okLength(line)
	if !ok || len(rest) < n || !bytes.HasPrefix(rest, []byte("---\n")) {
		return nil, fingerprint.ErrNoMatch
	}
	stats := map[string]string{}
	for _, l := range strings.Split(string(rest[4:n]), "\n") {
		k, v, ok := strings.Cut(l, ": ")
		if ok && banner.IsText(l) {
			stats[k] = strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	if _, ok := stats["current-jobs-ready"]; !ok {
		return nil, fingerprint.ErrNoMatch
	}
	svc := &record.Service{Name: "beanstalk", Product: "beanstalkd", Confidence: 10}
	if v := stats["version"]; v != "" && len(v) <= 32 && v[0] >= '0' && v[0] <= '9' {
		svc.Version = v
	}
	svc.CPE = []string{fingerprint.CPE("beanstalkd_project", "beanstalkd", svc.Version)}
	return svc, nil
}

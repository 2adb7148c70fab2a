// Package git recognises git daemons (git-daemon(1)) by a request of the
// git:// transport (gitprotocol-pack): one pkt-line, four hex digits of
// length then "git-upload-pack <path>\0host=<host>\0". The daemon answers
// with pkt-lines: the references of the repository, a "version 2"
// capability advertisement, or "ERR <reason>" when the path is not
// exported (as the root path is not).
package git

import (
	"context"
	"fmt"
	"regexp"
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
	return fingerprint.Info{Name: "git", Proto: portspec.TCP, Ports: []uint16{9418}, Rarity: 6}
}

// pktMax bounds the first pkt-line read (65520 by the protocol; a first
// reference line with its capabilities is far shorter).
const pktMax = 4 << 10

// Request is the upload-pack request for path, for host.
func Request(path, host string) []byte {
	s := "git-upload-pack " + path + "\x00host=" + host + "\x00"
	return fmt.Appendf(nil, "%04x%s", len(s)+4, s)
}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := c.Exchange(Request("/", c.Host()), whole, pktMax)
	if err != nil && !whole(b) {
		if len(b) == 0 {
			return nil, err
		}
		return nil, fingerprint.ErrNoMatch
	}
	return Parse(b)
}

// pktLen reads a pkt-line's length, -1 when b does not start with one.
func pktLen(b []byte) int {
	if len(b) < 4 {
		return -1
	}
	n, err := strconv.ParseUint(string(b[:4]), 16, 16)
	if err != nil || (n != 0 && n < 4) {
		return -1
	}
	return int(n)
}

// whole is a ReadUntil test: the first pkt-line arrived, or the bytes
// cannot start one.
func whole(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	n := pktLen(b)
	return n < 0 || len(b) >= n || n > pktMax
}

var (
	refLine = regexp.MustCompile(`^[0-9a-f]{40}(?:[0-9a-f]{24})? [^\x00\s]+`)
	agent   = regexp.MustCompile(`agent=git/([0-9][\w.\-]*)`)
)

// Parse reads the daemon's first pkt-line.
func Parse(b []byte) (*record.Service, error) {
	n := pktLen(b)
	if n <= 4 || len(b) < n || n > pktMax {
		return nil, fingerprint.ErrNoMatch
	}
	line := string(b[4:n])
	svc := &record.Service{Name: "git", Confidence: 10}
	switch {
	case strings.HasPrefix(line, "ERR "):
		reason := strings.TrimSpace(line[4:])
		if reason == "" || !banner.IsText(reason) {
			return nil, fingerprint.ErrNoMatch
		}
		svc.ExtraInfo = reason
	case line == "version 2\n", refLine.MatchString(line):
	default:
		return nil, fingerprint.ErrNoMatch
	}
	if m := agent.FindStringSubmatch(string(b[:min(len(b), pktMax)])); m != nil {
		svc.Product, svc.Version = "git", m[1]
		svc.CPE = []string{fingerprint.CPE("git-scm", "git", m[1])}
	}
	return svc, nil
}

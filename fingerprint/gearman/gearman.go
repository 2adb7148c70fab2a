// Package gearman recognises Gearman job servers by their administrative
// text protocol (gearman.org, "Administrative Protocol"): "version"
// answers "OK <version>", and "status" a list of functions, one a line
// with four tab-separated fields, ended by a line holding a dot.
package gearman

import (
	"bytes"
	"context"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/internal/banner"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "gearman", Proto: portspec.TCP, Ports: []uint16{4730}, Rarity: 7}
}

const (
	// lineMax bounds the answer to version.
	lineMax = 512
	// statusMax bounds the answer to status.
	statusMax = 32 << 10
)

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := c.Exchange([]byte("version\n"), fingerprint.UntilLine, lineMax)
	if err != nil && !fingerprint.UntilLine(b) {
		if len(b) == 0 {
			return nil, err
		}
		return nil, fingerprint.ErrNoMatch
	}
	svc, err := Parse(b)
	if err != nil {
		return nil, err
	}
	// "OK <word>" is a shape: the list that "status" answers confirms.
	st, err := c.Exchange([]byte("status\n"), statusDone, statusMax)
	if err != nil || !IsStatus(st) {
		return nil, fingerprint.ErrNoMatch
	}
	return svc, nil
}

// Parse reads the answer to "version": "OK 1.1.20+ds\n".
func Parse(b []byte) (*record.Service, error) {
	line, _, ok := bytes.Cut(b, []byte("\n"))
	if !ok {
		return nil, fingerprint.ErrNoMatch
	}
	v, ok := strings.CutPrefix(strings.TrimSuffix(string(line), "\r"), "OK ")
	if !ok || !isVersion(v) {
		return nil, fingerprint.ErrNoMatch
	}
	return &record.Service{Name: "gearman", Product: "Gearman job server", Version: v, Confidence: 10,
		CPE: []string{fingerprint.CPE("gearman", "gearmand", v)}}, nil
}

func isVersion(s string) bool {
	if s == "" || len(s) > 40 || s[0] < '0' || s[0] > '9' || !strings.Contains(s, ".") {
		return false
	}
	return !strings.ContainsAny(s, " \t") && banner.IsText(s)
}

// statusDone is a ReadUntil test: a line holding a dot ends the list, or
// a line that cannot be in one arrived.
func statusDone(b []byte) bool {
	for {
		line, rest, ok := bytes.Cut(b, []byte("\n"))
		if !ok {
			return false
		}
		if l := string(bytes.TrimSuffix(line, []byte("\r"))); l == "." || !statusLine(l) {
			return true
		}
		b = rest
	}
}

// IsStatus reports whether b is an answer to "status": lines of a
// function's name, its jobs in total, running, and its workers, tab
// separated, up to a line holding a dot.
func IsStatus(b []byte) bool {
	for {
		line, rest, ok := bytes.Cut(b, []byte("\n"))
		if !ok {
			return false
		}
		l := string(bytes.TrimSuffix(line, []byte("\r")))
		if l == "." {
			return true
		}
		if !statusLine(l) {
			return false
		}
		b = rest
	}
}

func statusLine(l string) bool {
	f := strings.Split(l, "\t")
	if len(f) != 4 || f[0] == "" || !banner.IsText(l) {
		return false
	}
	for _, n := range f[1:] {
		if n == "" || strings.Trim(n, "0123456789") != "" {
			return false
		}
	}
	return true
}

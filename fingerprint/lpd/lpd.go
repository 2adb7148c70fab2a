// Package lpd recognises line printer daemons (RFC 1179) by the state of
// a queue that does not exist: command 03 ("send queue state, short")
// with a queue name of ours. BSD lpd answers "<host>: lpd: <queue>:
// unknown printer", or that our host has no line printer access;
// printers' own daemons answer "no entries". A text answer is a shape,
// not an identification: the plugin asks again on a new connection about
// another queue, and names the service only when the second answer
// names that queue in the same way (or is the same refusal, or again no
// entries). BSD lpd refuses a host without access as soon as it
// connects: that refusal names the service when a new connection gets it
// too.
package lpd

import (
	"bytes"
	"context"
	"regexp"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/internal/ask"
	"github.com/ajarsec/ajar/fingerprint/internal/banner"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "lpd", Proto: portspec.TCP, Ports: []uint16{515}, Rarity: 8}
}

// queues are the two queues asked about.
var queues = [2]string{"ajarq1", "ajarq2"}

const maxAnswer = 1024

// Request is "send queue state (short)" for queue.
func Request(queue string) []byte { return []byte("\x03" + queue + "\n") }

func (plugin) Identify(ctx context.Context, c *fingerprint.Conn) (*record.Service, error) {
	if c.Banner() != nil {
		return refused(ctx, c)
	}
	first, err := ask.ToClose(c, Request(queues[0]), maxAnswer)
	if err != nil {
		return nil, err
	}
	kind, err := Parse(queues[0], first)
	if err != nil {
		return nil, err
	}
	// lpd answers one request a connection.
	again, err := c.Redial(ctx)
	if err != nil {
		return nil, fingerprint.ErrNoMatch
	}
	defer again.Close()
	second, err := ask.ToClose(again, Request(queues[1]), maxAnswer)
	if err != nil {
		return nil, fingerprint.ErrNoMatch
	}
	if k, err := Parse(queues[1], second); err != nil || k != kind {
		return nil, fingerprint.ErrNoMatch
	}
	return describe(kind, first), nil
}

// refused judges a server that spoke first: BSD lpd refuses a host
// without line printer access as soon as it connects. The refusal must
// come again on a new connection.
func refused(ctx context.Context, c *fingerprint.Conn) (*record.Service, error) {
	if k, err := Parse("", c.Banner()); err != nil || k != noAccess {
		return nil, fingerprint.ErrNoMatch
	}
	again, err := c.Redial(ctx)
	if err != nil {
		return nil, fingerprint.ErrNoMatch
	}
	defer again.Close()
	if k, err := Parse("", again.Banner()); err != nil || k != noAccess {
		return nil, fingerprint.ErrNoMatch
	}
	return describe(noAccess, c.Banner()), nil
}

// Kinds of answer to a queue state request.
const (
	unknownPrinter = "unknown printer"
	noAccess       = "no access"
	noEntries      = "no entries"
)

var (
	unknownRe  = regexp.MustCompile(`^(\S+): (lpd|lpq|lpc): ([^\s:]+): unknown printer\s*$`)
	noAccessRe = regexp.MustCompile(`^(\S+): lpd: Your host does not have line printer access\s*$`)
)

// Parse reads the answer to Request(queue) and returns its kind: the
// queue is an unknown printer (the answer names it), the host may not
// print, or the queue has no entries. Anything else is no match.
func Parse(queue string, b []byte) (string, error) {
	text := strings.TrimRight(string(b), "\r\n")
	if text == "" || strings.Contains(text, "\n") || !banner.IsText(text) || len(b) > 512 {
		return "", fingerprint.ErrNoMatch
	}
	if !bytes.HasSuffix(b, []byte("\n")) {
		return "", fingerprint.ErrNoMatch
	}
	switch {
	case strings.TrimSpace(text) == noEntries:
		return noEntries, nil
	case noAccessRe.MatchString(text):
		return noAccess, nil
	}
	if m := unknownRe.FindStringSubmatch(text); m != nil && m[3] == queue {
		return unknownPrinter, nil
	}
	return "", fingerprint.ErrNoMatch
}

// describe names the service from the first answer's kind.
func describe(kind string, first []byte) *record.Service {
	svc := &record.Service{Name: "lpd", Confidence: 9}
	switch kind {
	case unknownPrinter, noAccess:
		// The answers of BSD lpd (Debian's lpr package).
		svc.Product = "BSD lpd"
		svc.ExtraInfo = "queue state: " + kind
		if host, _, ok := strings.Cut(string(first), ":"); ok {
			svc.ExtraInfo += "; host " + host
		}
	default:
		svc.ExtraInfo = "queue state: " + kind
	}
	return svc
}

// Package stomp recognises STOMP message brokers (ActiveMQ, RabbitMQ,
// Artemis, Apollo) by a CONNECT frame (STOMP 1.2 specification): the
// broker answers a CONNECTED frame with the version it chose and often
// its name and version in the server header, or an ERROR frame with a
// message header. Either is a command line, header lines, a blank line
// and a body ended by a NUL byte.
package stomp

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
	return fingerprint.Info{Name: "stomp", Proto: portspec.TCP, Ports: []uint16{61613}, TLSPorts: []uint16{61612}, Rarity: 8}
}

const answerMax = 4096

// Connect is the CONNECT frame: versions 1.0 to 1.2, no credentials, no
// heart-beats.
func Connect(host string) []byte {
	return []byte("CONNECT\naccept-version:1.0,1.1,1.2\nhost:" + host + "\nheart-beat:0,0\n\n\x00")
}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	host := strings.Map(func(r rune) rune {
		if r == ':' || r == '\n' || r == '\r' {
			return '_'
		}
		return r
	}, c.Host())
	b, err := c.Exchange(Connect(host), frameDone, answerMax)
	svc, perr := Parse(b)
	if perr != nil && len(b) == 0 && err != nil {
		return nil, err
	}
	return svc, perr
}

// frameDone is a ReadUntil test: a NUL byte ends a frame.
func frameDone(b []byte) bool { return bytes.IndexByte(b, 0) >= 0 }

// Frame is a parsed STOMP frame.
type Frame struct {
	Command string
	Headers map[string]string
	Body    string
}

// ParseFrame reads one whole frame: command, headers, blank line, body
// up to a NUL. Lines may end in CRLF (STOMP 1.2); the frame may be
// followed only by end-of-line heart-beats.
func ParseFrame(b []byte) (Frame, bool) {
	var f Frame
	end := bytes.IndexByte(b, 0)
	if end < 0 || len(bytes.Trim(b[end+1:], "\r\n")) != 0 {
		return f, false
	}
	head, body, ok := bytes.Cut(b[:end], []byte("\n\n"))
	if !ok {
		if head, body, ok = bytes.Cut(b[:end], []byte("\r\n\r\n")); !ok {
			return f, false
		}
	}
	lines := strings.Split(strings.ReplaceAll(string(head), "\r\n", "\n"), "\n")
	f.Command, f.Headers, f.Body = lines[0], map[string]string{}, string(body)
	for _, l := range lines[1:] {
		k, v, ok := strings.Cut(l, ":")
		if !ok || k == "" || !banner.IsText(l) {
			return f, false
		}
		if _, dup := f.Headers[k]; !dup { // the first of repeated headers counts
			f.Headers[k] = v
		}
	}
	return f, true
}

// Parse reads the answer to Connect.
func Parse(b []byte) (*record.Service, error) {
	f, ok := ParseFrame(bytes.TrimLeft(b, "\r\n"))
	if !ok {
		return nil, fingerprint.ErrNoMatch
	}
	svc := &record.Service{Name: "stomp", Confidence: 10}
	var extra []string
	switch f.Command {
	case "CONNECTED":
		v := f.Headers["version"]
		if v == "" && f.Headers["session"] == "" && f.Headers["server"] == "" {
			return nil, fingerprint.ErrNoMatch
		}
		if v != "" {
			extra = append(extra, "STOMP "+clean(v))
		}
	case "ERROR":
		msg, ok := f.Headers["message"]
		if !ok {
			return nil, fingerprint.ErrNoMatch
		}
		extra = append(extra, "error: "+clean(msg))
	default:
		return nil, fingerprint.ErrNoMatch
	}
	if s := f.Headers["server"]; s != "" {
		// name ["/" version] [comments]
		name, rest, _ := strings.Cut(s, " ")
		product, version, _ := strings.Cut(name, "/")
		svc.Product, svc.Version = clean(product), clean(version)
		if rest != "" {
			extra = append(extra, clean(rest))
		}
		if vendor, prod, ok := cpeOf(svc.Product); ok {
			svc.CPE = []string{fingerprint.CPE(vendor, prod, svc.Version)}
		}
	}
	svc.ExtraInfo = strings.Join(extra, "; ")
	return svc, nil
}

// cpeOf names the CPE vendor and product of brokers that say their name.
func cpeOf(product string) (vendor, prod string, ok bool) {
	switch strings.ToLower(product) {
	case "activemq", "apache-activemq":
		return "apache", "activemq", true
	case "activemq-artemis", "activemq artemis":
		return "apache", "activemq_artemis", true
	case "rabbitmq":
		return "vmware", "rabbitmq", true
	case "apache-apollo", "apollo":
		return "apache", "apollo", true
	}
	return "", "", false
}

func clean(s string) string { return fingerprint.Printable([]byte(s), 80) }

// Package nats recognises NATS servers by the INFO line they send as
// soon as a client connects: "INFO {json}\r\n", whose JSON names the
// server's version, the Go it was built with and its protocol.
package nats

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{
		Name:        "nats",
		Proto:       portspec.TCP,
		Ports:       []uint16{4222, 6222, 7422},
		ServerFirst: true,
	}
}

// infoMax bounds the INFO line: with a cluster's connect_urls it can
// outgrow the banner the core keeps.
const infoMax = 32 << 10

func (plugin) Identify(ctx context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b := c.Banner()
	if !bytes.HasPrefix(b, []byte("INFO ")) && !bytes.HasPrefix(b, []byte("INFO\t")) {
		return nil, fingerprint.ErrNoMatch
	}
	if !fingerprint.UntilLine(b) {
		// The banner was cut short: read the rest of the line. What
		// cannot be read is judged as it is, cut short.
		more, _ := c.ReadUntil(fingerprint.UntilLine, infoMax-len(b))
		b = append(append([]byte{}, b...), more...)
	}
	svc, info, err := parse(b)
	if err != nil {
		return nil, err
	}
	if info.TLSRequired {
		// The client starts TLS right after INFO. A failed handshake
		// leaves the identification as it is.
		_ = c.StartTLS(ctx, "tls_required")
	}
	return svc, nil
}

// Info is the part of a NATS server's INFO that says who it is.
type Info struct {
	ServerID     string `json:"server_id"`
	ServerName   string `json:"server_name"`
	Version      string `json:"version"`
	Go           string `json:"go"`
	Proto        *int   `json:"proto"`
	AuthRequired bool   `json:"auth_required"`
	TLSRequired  bool   `json:"tls_required"`
	JetStream    bool   `json:"jetstream"`
	Cluster      string `json:"cluster"`
}

// Parse reads a NATS server's INFO line.
func Parse(b []byte) (*record.Service, error) {
	svc, _, err := parse(b)
	return svc, err
}

func parse(b []byte) (*record.Service, Info, error) {
	var info Info
	rest, ok := bytes.CutPrefix(b, []byte("INFO"))
	if !ok || len(rest) == 0 || (rest[0] != ' ' && rest[0] != '\t') {
		return nil, info, fingerprint.ErrNoMatch
	}
	line, _, whole := bytes.Cut(rest, []byte("\n"))
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] != '{' {
		return nil, info, fingerprint.ErrNoMatch
	}
	svc := &record.Service{Name: "nats", Product: "NATS Server", Confidence: 10}
	if err := json.Unmarshal(line, &info); err != nil {
		// A line cut short by the byte budget: trust it only if it has
		// the server id every NATS server sends first, and read what
		// can be read.
		if whole || !bytes.Contains(line, []byte(`"server_id":`)) {
			return nil, info, fingerprint.ErrNoMatch
		}
		info.Version = stringField(line, "version")
		info.Go = stringField(line, "go")
		svc.Confidence = 8
	} else if info.ServerID == "" || (info.Proto == nil && info.Version == "") {
		return nil, info, fingerprint.ErrNoMatch
	}
	if isVersion(info.Version) {
		svc.Version = info.Version
	}
	var extra []string
	if info.ServerName != "" && info.ServerName != info.ServerID {
		extra = append(extra, "name: "+fingerprint.Printable([]byte(info.ServerName), 64))
	}
	if info.Cluster != "" {
		extra = append(extra, "cluster: "+fingerprint.Printable([]byte(info.Cluster), 64))
	}
	if info.Proto != nil {
		extra = append(extra, "proto "+strconv.Itoa(*info.Proto))
	}
	if strings.HasPrefix(info.Go, "go") && len(info.Go) < 32 {
		extra = append(extra, fingerprint.Printable([]byte(info.Go), 32))
	}
	if info.JetStream {
		extra = append(extra, "JetStream")
	}
	if info.AuthRequired {
		extra = append(extra, "auth required")
	}
	if info.TLSRequired {
		extra = append(extra, "TLS required")
	}
	svc.ExtraInfo = strings.Join(extra, "; ")
	svc.CPE = []string{fingerprint.CPE("linuxfoundation", "nats-server", svc.Version)}
	return svc, info, nil
}

// stringField finds "name":"value" in cut-short JSON.
func stringField(b []byte, name string) string {
	_, after, ok := bytes.Cut(b, []byte(`"`+name+`":"`))
	if !ok {
		return ""
	}
	v, _, ok := bytes.Cut(after, []byte(`"`))
	if !ok {
		return ""
	}
	return string(v)
}

// isVersion accepts "2.9.10", "2.10.0-beta.3".
func isVersion(s string) bool {
	if s == "" || len(s) > 40 || s[0] < '0' || s[0] > '9' {
		return false
	}
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '.', r == '-', r == '+':
		default:
			return false
		}
	}
	return true
}

// Package redis recognises Redis servers (and servers speaking its RESP
// protocol) by their answer to PING, then reads the "server" section of
// INFO for the version, mode and operating system.
package redis

import (
	"bytes"
	"context"
	"errors"
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
		Name:     "redis",
		Proto:    portspec.TCP,
		Ports:    []uint16{6379},
		TLSPorts: []uint16{6380},
		Rarity:   3,
	}
}

// The requests, as RESP arrays of bulk strings: a server that speaks
// another line protocol (memcached, POP3) rejects them at once.
var (
	pingReq = []byte("*1\r\n$4\r\nPING\r\n")
	infoReq = []byte("*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n")
)

// infoMax bounds the INFO reply read; the server section is under 1 KiB.
const infoMax = 16 << 10

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	// A Redis in protected mode says why it refuses and closes as soon as
	// a client connects: the PING may fail, the refusal is still there
	// to read.
	werr := c.Write(pingReq)
	b, err := c.ReadUntil(fingerprint.UntilLine, 1024)
	if len(b) == 0 && werr != nil {
		return nil, werr
	}
	if err != nil && !fingerprint.UntilLine(b) {
		if len(b) == 0 {
			return nil, err
		}
		return nil, fingerprint.ErrNoMatch
	}
	svc, err := ParsePing(b)
	if err != nil || svc.Product != "" {
		return svc, err
	}
	// PONG: the server takes commands without authentication.
	info, err := c.Exchange(infoReq, untilBulk, infoMax)
	if err != nil && !untilBulk(info) {
		return svc, nil
	}
	if full, err := ParseInfo(info); err == nil {
		return full, nil
	}
	return svc, nil
}

// ParsePing reads a server's answer to PING: "+PONG" from a Redis (or a
// server speaking its protocol) that takes commands, or an error that
// only Redis gives (authentication required, protected mode).
func ParsePing(b []byte) (*record.Service, error) {
	line, _, ok := bytes.Cut(b, []byte("\r\n"))
	if !ok {
		return nil, fingerprint.ErrNoMatch
	}
	s := string(line)
	svc := &record.Service{Name: "redis"}
	switch {
	case s == "+PONG":
		svc.Confidence = 8
	case strings.HasPrefix(s, "-NOAUTH "):
		svc.Product, svc.ExtraInfo, svc.Confidence = "Redis", "authentication required", 9
	case strings.HasPrefix(s, "-DENIED Redis is running in protected mode"):
		svc.Product, svc.ExtraInfo, svc.Confidence = "Redis", "protected mode", 10
	case strings.HasPrefix(s, "-ERR") && strings.Contains(s, "max number of clients reached"):
		svc.Product, svc.ExtraInfo, svc.Confidence = "Redis", "max clients reached", 8
	default:
		return nil, fingerprint.ErrNoMatch
	}
	if svc.Product != "" {
		svc.CPE = []string{fingerprint.CPE("redis", "redis", "")}
	}
	return svc, nil
}

var errBulk = errors.New("redis: not a bulk string")

// bulk returns the payload of a RESP bulk string ("$<len>\r\n<bytes>\r\n"),
// and whether it is whole.
func bulk(b []byte) ([]byte, bool, error) {
	head, rest, ok := bytes.Cut(b, []byte("\r\n"))
	if !ok {
		if len(b) > 0 && b[0] != '$' || len(b) > 16 {
			return nil, false, errBulk
		}
		return nil, false, nil
	}
	if len(head) < 2 || head[0] != '$' {
		return nil, false, errBulk
	}
	n, err := strconv.Atoi(string(head[1:]))
	if err != nil || n < 0 || n > infoMax {
		return nil, false, errBulk
	}
	if len(rest) < n+2 {
		return nil, false, nil
	}
	return rest[:n], true, nil
}

// untilBulk is a ReadUntil test: a whole bulk string, or something that
// cannot become one.
func untilBulk(b []byte) bool {
	_, whole, err := bulk(b)
	return whole || err != nil
}

// ParseInfo reads the answer to "INFO server": a bulk string of
// "field:value" lines. Redis says redis_version; Valkey adds server_name
// and valkey_version.
func ParseInfo(b []byte) (*record.Service, error) {
	body, whole, err := bulk(b)
	if err != nil || !whole {
		return nil, fingerprint.ErrNoMatch
	}
	fields := map[string]string{}
	for _, line := range strings.Split(string(body), "\n") {
		line = strings.TrimRight(line, "\r")
		if k, v, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(k, "#") {
			fields[k] = v
		}
	}
	version := fields["redis_version"]
	if version == "" || !isVersion(version) {
		return nil, fingerprint.ErrNoMatch
	}
	svc := &record.Service{Name: "redis", Product: "Redis", Version: version, Confidence: 10}
	if fields["server_name"] == "valkey" || fields["valkey_version"] != "" {
		// Valkey reports the Redis version it is compatible with.
		svc.Product, svc.Version = "Valkey", fields["valkey_version"]
		if !isVersion(svc.Version) {
			svc.Version = ""
		}
	} else {
		svc.CPE = []string{fingerprint.CPE("redis", "redis", svc.Version)}
	}
	var extra []string
	if m := fields["redis_mode"]; m != "" {
		extra = append(extra, "mode: "+m)
	}
	if os := fields["os"]; os != "" {
		extra = append(extra, "os: "+os)
	}
	svc.ExtraInfo = strings.Join(extra, "; ")
	if strings.HasPrefix(fields["os"], "Linux") {
		svc.CPE = append(svc.CPE, fingerprint.CPEPart("o", "linux", "linux_kernel", ""))
	}
	return svc, nil
}

// isVersion accepts dotted numbers, as every Redis release is named.
func isVersion(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && r != '.' {
			return false
		}
	}
	return s[0] != '.'
}

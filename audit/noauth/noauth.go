// Package noauth holds the audit's checks of services that serve anyone
// who connects: Redis without a password, memcached answering stats, an
// FTP server that lets "anonymous" in. Each check asks one read-only
// question a client without credentials may ask, and judges the answer
// with a pure function of the bytes (JudgeRedis, JudgeMemcached,
// JudgeFTP), tested on literal bytes and against real daemons in the
// zoo.
package noauth

import (
	"bytes"
	"context"
	"fmt"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() {
	audit.Register(redisCheck{})
	audit.Register(memcachedCheck{})
	audit.Register(ftpCheck{})
}

// replyMax bounds one answer read; every answer judged here is a line or
// a short listing.
const replyMax = 8 << 10

// Redis.

type redisCheck struct{}

func (redisCheck) Info() audit.Info {
	return audit.Info{Name: "redis-auth", Services: []string{"redis"}, Proto: portspec.TCP}
}

// redisPing is PING as a RESP array.
var redisPing = []byte("*1\r\n$4\r\nPING\r\n")

func (redisCheck) Run(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	c, err := t.Dial(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	b, err := audit.Exchange(c, redisPing, audit.UntilLine, replyMax)
	if err != nil && !audit.UntilLine(b) {
		return nil, fmt.Errorf("PING: %w", err)
	}
	return JudgeRedis(b)
}

// JudgeRedis judges a Redis server's answer to PING: +PONG from a client
// that gave no password means anyone who reaches the port may run any
// command (read and overwrite every key, CONFIG SET, MODULE LOAD).
// -NOAUTH (requirepass or ACL) and -DENIED (protected mode) are not
// applicable.
func JudgeRedis(b []byte) ([]record.Finding, error) {
	line, _, ok := bytes.Cut(b, []byte("\r\n"))
	if !ok || !bytes.Equal(line, []byte("+PONG")) {
		return nil, audit.ErrNotApplicable
	}
	return []record.Finding{{
		ID: "redis-no-auth", Category: record.NoAuth, Severity: record.Critical,
		Title:    "Redis runs commands for clients that give no password",
		Evidence: "PING answered " + audit.Evidence(line) + " before any AUTH",
		Remediation: "set `requirepass <long random secret>` (or ACL users with `user default off`) in redis.conf, " +
			"keep `protected-mode yes`, and `bind 127.0.0.1 -::1` unless remote clients need it",
		References: []string{"CWE-306", "https://redis.io/docs/latest/operate/oss_and_stack/management/security/"},
		Confidence: record.Confirmed,
	}}, nil
}

// memcached.

type memcachedCheck struct{}

func (memcachedCheck) Info() audit.Info {
	return audit.Info{Name: "memcached-auth", Services: []string{"memcached"}, Proto: portspec.TCP}
}

func (memcachedCheck) Run(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	c, err := t.Dial(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	b, err := audit.Exchange(c, []byte("stats\r\n"), untilStatsEnd, replyMax)
	if err != nil && len(b) == 0 {
		return nil, fmt.Errorf("stats: %w", err)
	}
	return JudgeMemcached(b)
}

// untilStatsEnd: the listing's END line, or an error line.
func untilStatsEnd(b []byte) bool {
	return bytes.HasSuffix(b, []byte("END\r\n")) || bytes.HasPrefix(b, []byte("ERROR")) ||
		bytes.HasPrefix(b, []byte("CLIENT_ERROR")) || bytes.HasPrefix(b, []byte("SERVER_ERROR"))
}

// JudgeMemcached judges memcached's answer to the text command "stats":
// a STAT listing ending in END means the cache serves (and takes writes
// from) anyone who reaches it. A server with SASL (-S) refuses text
// commands: not applicable.
func JudgeMemcached(b []byte) ([]record.Finding, error) {
	if !bytes.HasPrefix(b, []byte("STAT ")) || !bytes.HasSuffix(b, []byte("END\r\n")) {
		return nil, audit.ErrNotApplicable
	}
	ev := b
	// The first lines say enough: pid, uptime, version.
	for i, n := 0, 0; i < len(b); i++ {
		if b[i] == '\n' {
			if n++; n == 4 {
				ev = b[:i+1]
				break
			}
		}
	}
	return []record.Finding{{
		ID: "memcached-no-auth", Category: record.NoAuth, Severity: record.High,
		Title:    "memcached serves anyone who connects: its cached data can be read and replaced",
		Evidence: audit.Evidence(ev),
		Remediation: "listen on loopback or a private address only (`-l 127.0.0.1`), firewall the port, " +
			"or require SASL authentication (`-S`); keep UDP off (`-U 0`)",
		References: []string{"CWE-306", "https://github.com/memcached/memcached/wiki/SASLHowto"},
		Confidence: record.Confirmed,
	}}, nil
}

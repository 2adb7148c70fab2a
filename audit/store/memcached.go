package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { audit.Register(memcachedUDPCheck{}) }

type memcachedUDPCheck struct{}

func (memcachedUDPCheck) Info() audit.Info {
	return audit.Info{Name: "memcached-udp", Services: []string{"memcached"}, Proto: portspec.UDP, Timeout: 4 * time.Second}
}

// mcRequestID marks the check's request; answers must carry it.
const mcRequestID = 0x6175 // "au"

// mcStats is the text command "stats" in memcached's UDP frame: request
// id, sequence 0, one datagram, two reserved bytes.
func mcStats() []byte {
	b := make([]byte, 8, 8+7)
	binary.BigEndian.PutUint16(b[0:], mcRequestID)
	binary.BigEndian.PutUint16(b[4:], 1)
	return append(b, "stats\r\n"...)
}

// mcWait is how long the check waits for each datagram of the answer.
const mcWait = 1500 * time.Millisecond

// mcMaxDatagrams bounds the datagrams of one answer counted.
const mcMaxDatagrams = 64

func (memcachedUDPCheck) Run(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	c, err := t.DialPlain(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	req := mcStats()
	if _, err := c.Write(req); err != nil {
		return nil, err
	}
	var replies [][]byte
	buf := make([]byte, 2048)
	for len(replies) < mcMaxDatagrams {
		c.SetReadDeadline(time.Now().Add(mcWait))
		n, err := c.Read(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, audit.ErrBudget) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("waiting for stats: %w", err)
		}
		replies = append(replies, append([]byte(nil), buf[:n]...))
		if mcComplete(replies) {
			break
		}
	}
	return JudgeMemcachedUDP(len(req), replies)
}

// mcComplete: every datagram of the answer to our request has come.
func mcComplete(replies [][]byte) bool {
	seen := map[uint16]bool{}
	total := 0
	for _, d := range replies {
		if len(d) < 8 || binary.BigEndian.Uint16(d) != mcRequestID {
			continue
		}
		seen[binary.BigEndian.Uint16(d[2:])] = true
		total = int(binary.BigEndian.Uint16(d[4:]))
	}
	return total > 0 && len(seen) >= total
}

// JudgeMemcachedUDP judges the datagrams that answered a reqLen-byte
// UDP "stats": a STAT listing means memcached answers unauthenticated
// UDP, which a spoofed source turns into a reflector (the 1.7 Tbit/s
// attacks of 2018); the amplification factor is the answer's UDP
// payload bytes over the request's. Datagrams of other requests and an
// answer that is not a STAT listing are not counted.
func JudgeMemcachedUDP(reqLen int, replies [][]byte) ([]record.Finding, error) {
	var got, datagrams int
	stat := false
	for _, d := range replies {
		if len(d) < 8 || binary.BigEndian.Uint16(d) != mcRequestID {
			continue
		}
		if binary.BigEndian.Uint16(d[2:]) == 0 && len(d) >= 13 && string(d[8:13]) == "STAT " {
			stat = true
		}
		got += len(d)
		datagrams++
	}
	if !stat || reqLen <= 0 {
		return nil, audit.ErrNotApplicable
	}
	factor := float64(got) / float64(reqLen)
	sev := record.High
	if factor < 10 {
		sev = record.Medium
	}
	return []record.Finding{{
		ID: "memcached-udp-amplification", Category: record.Amplification, Severity: sev,
		Title: "memcached answers over UDP: a reflector for amplified denial of service",
		Evidence: fmt.Sprintf("a %d-byte UDP \"stats\" was answered with %d datagrams, %d bytes: amplification %.1fx "+
			"(larger with \"get\" of big values)", reqLen, datagrams, got, factor),
		Remediation: "turn UDP off (`-U 0`, in /etc/memcached.conf; the default since memcached 1.5.6) " +
			"and listen on loopback or a private address (`-l 127.0.0.1`)",
		References: []string{"CVE-2018-1000115", "CWE-406", "https://www.cisa.gov/news-events/alerts/2014/01/17/udp-based-amplification-attacks"},
		Confidence: record.Confirmed,
	}}, nil
}

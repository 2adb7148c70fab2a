package netsvc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() {
	audit.Register(ntpCheck{mode: 6})
	audit.Register(ntpCheck{mode: 7})
}

// ntpCheck sends one NTP control (mode 6 READVAR, RFC 9327) or private
// (mode 7 MON_GETLIST_1, "monlist") request and measures what comes back:
// the bytes of every answering datagram over the bytes asked. One
// request, read for at most fragmentWait after the last datagram.
type ntpCheck struct{ mode int }

func (c ntpCheck) Info() audit.Info {
	name := "ntp-mode6"
	if c.mode == 7 {
		name = "ntp-monlist"
	}
	return audit.Info{Name: name, Services: []string{"ntp"}, Proto: portspec.UDP, Timeout: 3 * time.Second}
}

// fragmentWait is how long to wait for the next datagram of an answer.
const fragmentWait = 500 * time.Millisecond

// maxFragments bounds the datagrams read for one request.
const maxFragments = 100

// Mode6ReadVar is a mode 6 READVAR of the system variables (association
// 0): twelve bytes, version 2, sequence 1.
var Mode6ReadVar = []byte{0x16, 0x02, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0}

// Mode7Monlist is a mode 7 request of implementation XNTPD (3) for
// MON_GETLIST_1 (42), padded to 48 bytes as ntpd expects.
var Mode7Monlist = append([]byte{0x17, 0x00, 0x03, 0x2a}, make([]byte, 44)...)

func (c ntpCheck) Run(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	conn, err := t.DialPlain(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	req := Mode6ReadVar
	if c.mode == 7 {
		req = Mode7Monlist
	}
	if _, err := conn.Write(req); err != nil {
		return nil, err
	}
	var replies [][]byte
	buf := make([]byte, 2048)
	for len(replies) < maxFragments {
		conn.SetReadDeadline(time.Now().Add(fragmentWait))
		n, err := conn.Read(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, audit.ErrBudget) {
				break
			}
			return nil, audit.ErrNotApplicable // ICMP unreachable: nobody there
		}
		replies = append(replies, append([]byte(nil), buf[:n]...))
		if c.mode == 6 && n >= 2 && buf[1]&0x20 == 0 {
			break // the last fragment: "more" is clear
		}
	}
	if c.mode == 7 {
		return JudgeMonlist(len(req), replies)
	}
	return JudgeMode6(len(req), replies)
}

// JudgeMode6 judges the datagrams that answered a mode 6 READVAR of
// reqLen bytes: responses of mode 6 to opcode 2 without the error bit
// mean the server answers control queries from anyone, with their
// amplification factor (bytes out over bytes in) and what they say.
func JudgeMode6(reqLen int, replies [][]byte) ([]record.Finding, error) {
	total, text := 0, ""
	for _, r := range replies {
		if len(r) < 12 || r[0]&0x07 != 6 || r[1]&0x80 == 0 || r[1]&0x40 != 0 || r[1]&0x1f != 2 {
			continue
		}
		total += len(r)
		if text == "" {
			text = string(r[12:])
		}
	}
	if total == 0 {
		return nil, audit.ErrNotApplicable
	}
	factor := float64(total) / float64(reqLen)
	vars := text
	if i := strings.Index(text, "version="); i >= 0 {
		vars = text[i:]
	}
	return []record.Finding{{
		ID: "ntp-mode6-amplification", Category: record.Amplification, Severity: amplificationSeverity(factor),
		Title: "NTP server answers mode 6 control queries from anyone: a UDP amplifier and an information leak",
		Evidence: audit.Evidence([]byte(fmt.Sprintf("READVAR of %d bytes answered with %d bytes in %d datagrams: amplification %.1fx; %s",
			reqLen, total, len(replies), factor, vars))),
		Remediation: "refuse control queries from strangers: ntpd/ntpsec `restrict default kod limited nomodify noquery` " +
			"(and `restrict 127.0.0.1` / `restrict ::1` for local tools); chrony does not answer mode 6",
		References: []string{"CVE-2013-5211", "https://www.cisa.gov/news-events/alerts/2014/01/13/ntp-amplification-attacks-using-cve-2013-5211"},
		Confidence: record.Confirmed,
	}}, nil
}

// JudgeMonlist judges the datagrams that answered a monlist request of
// reqLen bytes: mode 7 responses to request code 42 mean the server
// lists its recent clients to anyone, the classic NTP amplifier (up to
// 600 addresses in 100 datagrams for one request).
func JudgeMonlist(reqLen int, replies [][]byte) ([]record.Finding, error) {
	total := 0
	for _, r := range replies {
		if len(r) < 8 || r[0]&0x07 != 7 || r[0]&0x80 == 0 || r[3] != 42 {
			continue
		}
		total += len(r)
	}
	if total == 0 {
		return nil, audit.ErrNotApplicable
	}
	factor := float64(total) / float64(reqLen)
	return []record.Finding{{
		ID: "ntp-monlist-amplification", Category: record.Amplification, Severity: record.High,
		Title: "NTP server answers monlist (mode 7) from anyone: a large UDP amplifier that also lists its clients",
		Evidence: audit.Evidence([]byte(fmt.Sprintf("MON_GETLIST_1 of %d bytes answered with %d bytes in %d datagrams: amplification %.1fx",
			reqLen, total, len(replies), factor))),
		Remediation: "upgrade ntpd (4.2.7p26 and later drop monlist; ntpsec has no mode 7), or `disable monitor` and " +
			"`restrict default kod limited nomodify noquery`",
		References: []string{"CVE-2013-5211", "https://www.cisa.gov/news-events/alerts/2014/01/13/ntp-amplification-attacks-using-cve-2013-5211"},
		Confidence: record.Confirmed,
	}}, nil
}

// amplificationSeverity grades a measured amplification factor.
func amplificationSeverity(f float64) record.Severity {
	switch {
	case f >= 100:
		return record.High
	case f >= 10:
		return record.Medium
	}
	return record.Low
}

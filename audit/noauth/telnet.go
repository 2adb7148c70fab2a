package noauth

import (
	"context"
	"fmt"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { audit.Register(telnetCheck{}) }

type telnetCheck struct{}

func (telnetCheck) Info() audit.Info {
	return audit.Info{Name: "telnet-cleartext", Services: []string{"telnet"}, Proto: portspec.TCP}
}

// Run reads what the server sends first, in clear: a Telnet server opens
// with its option negotiation. The check answers nothing and logs in to
// nothing.
func (telnetCheck) Run(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	if t.Service.Tunnel == "ssl" {
		return nil, audit.ErrNotApplicable
	}
	c, err := t.DialPlain(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	b, err := audit.ReadUntil(c, func(b []byte) bool { return len(b) >= 3 }, 64)
	if err != nil && len(b) < 3 {
		return nil, fmt.Errorf("negotiation: %w", err)
	}
	return JudgeTelnet(b)
}

// Telnet's negotiation (RFC 854): IAC, then WILL, WONT, DO or DONT.
const (
	telnetIAC  = 0xff
	telnetWILL = 0xfb
	telnetDONT = 0xfe
)

// JudgeTelnet judges the first bytes of a cleartext connection: a Telnet
// option negotiation means logins and keystrokes cross the network in
// clear.
func JudgeTelnet(first []byte) ([]record.Finding, error) {
	if len(first) < 3 || first[0] != telnetIAC || first[1] < telnetWILL || first[1] > telnetDONT {
		return nil, audit.ErrNotApplicable
	}
	return []record.Finding{{
		ID: "telnet-cleartext", Category: record.Cleartext, Severity: record.High,
		Title:       "Telnet server: logins and sessions cross the network in clear",
		Evidence:    fmt.Sprintf("opens with Telnet option negotiation in clear (RFC 854): % x", first[:min(len(first), 12)]),
		Remediation: "turn Telnet off (remove its inetd.conf line or `systemctl disable --now inetd`) and use SSH",
		References:  []string{"CWE-319"},
		Confidence:  record.Confirmed,
	}}, nil
}

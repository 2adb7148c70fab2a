package noauth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/fingerprint/snmp"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { audit.Register(snmpCheck{}) }

type snmpCheck struct{}

func (snmpCheck) Info() audit.Info {
	return audit.Info{Name: "snmp-community", Services: []string{"snmp"}, Proto: portspec.UDP, Timeout: 4 * time.Second}
}

// snmpCommunity is the one community the check asks with: the default
// of most agents (RFC 1157's example, Net-SNMP's example snmpd.conf).
// No other community is ever tried.
const snmpCommunity = "public"

// snmpID marks the check's requests.
const snmpID = 0x61756474

// snmpWait is how long the check waits for each try's answer.
const snmpWait = 1500 * time.Millisecond

func (snmpCheck) Run(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	c, err := t.DialPlain(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	buf := make([]byte, 4096)
	// Two tries, as a datagram may be lost: SNMPv2c, then SNMPv1.
	for _, v := range []int{snmp.Version2c, snmp.Version1} {
		if _, err := c.Write(snmp.GetRequest(v, snmpCommunity, snmpID)); err != nil {
			return nil, err
		}
		c.SetReadDeadline(time.Now().Add(snmpWait))
		for {
			n, err := c.Read(buf)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("waiting for the agent: %w", err)
			}
			if fs, err := JudgeSNMP(buf[:n]); err == nil {
				return fs, nil
			}
		}
	}
	// Silence: the agent ignores the community, as agents do.
	return nil, audit.ErrNotApplicable
}

// JudgeSNMP judges an agent's answer to a GET of sysDescr.0 with the
// community "public": a GetResponse without error means anyone may read
// the agent's tree (interfaces, routes, processes, often more).
func JudgeSNMP(b []byte) ([]record.Finding, error) {
	r, err := snmp.ParseReply(b)
	if err != nil || r.Version == snmp.Version3 || r.Community != snmpCommunity || r.ID != snmpID || r.ErrorStatus != 0 {
		return nil, audit.ErrNotApplicable
	}
	ev := "SNMPv1 GetResponse to community public"
	if r.Version == snmp.Version2c {
		ev = "SNMPv2c GetResponse to community public"
	}
	if r.Descr != "" {
		ev += "; sysDescr: " + r.Descr
	}
	return []record.Finding{{
		ID: "snmp-public-community", Category: record.DefaultCredentials, Severity: record.High,
		Title:    "SNMP agent answers the default community \"public\"",
		Evidence: audit.Evidence([]byte(ev)),
		Remediation: "remove `rocommunity public` (Net-SNMP snmpd.conf); use SNMPv3 users with authPriv " +
			"(`createUser` and `rouser NAME priv`), or a long random community limited to the managers' addresses",
		References: []string{"CVE-1999-0517", "CWE-1392"},
		Confidence: record.Confirmed,
	}}, nil
}

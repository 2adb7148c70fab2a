package netsvc

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/fingerprint/rdp"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() {
	audit.Register(rdpCheck{ask: rdp.ProtocolSSL | rdp.ProtocolHybrid | rdp.ProtocolHybridEx, judge: JudgeRDPNLA})
	audit.Register(rdpCheck{ask: rdp.ProtocolRDP, judge: JudgeRDPStandard})
}

// rdpCheck sends one X.224 Connection Request ([MS-RDPBCGR] 2.2.1.1)
// asking for the protocols ask, and judges the Connection Confirm. No
// TLS, no credentials.
type rdpCheck struct {
	ask   uint32
	judge func(*rdp.Confirm) ([]record.Finding, error)
}

func (c rdpCheck) Info() audit.Info {
	name := "rdp-nla"
	if c.ask == rdp.ProtocolRDP {
		name = "rdp-standard-security"
	}
	return audit.Info{Name: name, Services: []string{"rdp"}, Proto: portspec.TCP}
}

func (c rdpCheck) Run(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	conn, err := t.DialPlain(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	b, err := audit.Exchange(conn, rdp.ConnectionRequest(c.ask), tpktWhole, 1024)
	if err != nil {
		return nil, fmt.Errorf("X.224 Connection Request: %w", err)
	}
	cc, err := rdp.ParseConfirm(b)
	if err != nil {
		return nil, audit.ErrNotApplicable
	}
	return c.judge(cc)
}

func tpktWhole(b []byte) bool {
	return len(b) >= 1 && b[0] != 3 || len(b) >= 4 && len(b) >= int(binary.BigEndian.Uint16(b[2:]))
}

// JudgeRDPNLA judges the Confirm to a request offering TLS and CredSSP:
// a server that picks TLS or standard RDP security over CredSSP (Network
// Level Authentication) puts its login screen, and a session, before
// any authentication: anyone who reaches it gets that far, and the
// pre-authentication flaws (BlueKeep, CVE-2019-0708) are in reach.
func JudgeRDPNLA(cc *rdp.Confirm) ([]record.Finding, error) {
	var ev string
	switch {
	case !cc.Negotiated:
		ev = "no negotiation answer: standard RDP security only"
	case cc.Type == 0x02 && cc.Selected&(rdp.ProtocolHybrid|rdp.ProtocolHybridEx) == 0:
		ev = fmt.Sprintf("offered TLS and CredSSP, the server selected protocol %d (%s)", cc.Selected, rdpProtocol(cc.Selected))
	default:
		return nil, audit.ErrNotApplicable
	}
	return []record.Finding{{
		ID: "rdp-no-nla", Category: record.NoAuth, Severity: record.Medium,
		Title:    "RDP server does not require Network Level Authentication: its login screen answers anyone",
		Evidence: audit.Evidence([]byte(ev)),
		Remediation: "require NLA: Windows \"Require user authentication for remote connections by using Network Level " +
			"Authentication\" (UserAuthentication=1 under RDP-Tcp); xrdp has no CredSSP: keep it behind a VPN or SSH tunnel " +
			"and at least `security_layer=tls`",
		References: []string{"CVE-2019-0708", "https://learn.microsoft.com/windows-server/remote/remote-desktop-services/clients/remote-desktop-allow-access"},
		Confidence: record.Confirmed,
	}}, nil
}

// JudgeRDPStandard judges the Confirm to a request for standard RDP
// security alone: a server that accepts it encrypts with RC4 under keys
// a man in the middle can obtain, with no server authentication.
func JudgeRDPStandard(cc *rdp.Confirm) ([]record.Finding, error) {
	if cc.Negotiated && (cc.Type != 0x02 || cc.Selected != rdp.ProtocolRDP) {
		return nil, audit.ErrNotApplicable
	}
	ev := "asked for standard RDP security only: accepted"
	if !cc.Negotiated {
		ev += " (no negotiation answer)"
	}
	return []record.Finding{{
		ID: "rdp-standard-security", Category: record.WeakTLS, Severity: record.Medium,
		Title:    "RDP server accepts standard RDP security: RC4 without server authentication",
		Evidence: audit.Evidence([]byte(ev)),
		Remediation: "refuse standard RDP security: xrdp `security_layer=tls` (or negotiate with `ssl_protocols=TLSv1.2, TLSv1.3` " +
			"and no rdp fallback); Windows \"Require use of specific security layer for remote (RDP) connections\" = SSL (SecurityLayer=2)",
		References: []string{"CVE-2005-1794", "CWE-327"},
		Confidence: record.Confirmed,
	}}, nil
}

func rdpProtocol(p uint32) string {
	switch p {
	case rdp.ProtocolRDP:
		return "standard RDP security"
	case rdp.ProtocolSSL:
		return "TLS"
	}
	return fmt.Sprintf("0x%x", p)
}

package broker

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

type natsCheck struct{}

func (natsCheck) Info() audit.Info {
	return audit.Info{Name: "nats-auth", Services: []string{"nats"}, Proto: portspec.TCP}
}

// natsConnect is a CONNECT without credentials, verbose so that the
// server says +OK, then a PING it must answer with PONG.
const natsConnect = `CONNECT {"verbose":true,"pedantic":false,"tls_required":false,"name":"ajar-audit","lang":"go","version":"0","protocol":1}` +
	"\r\nPING\r\n"

// natsInfo is what the check reads of a server's INFO.
type natsInfo struct {
	ServerID     string `json:"server_id"`
	Version      string `json:"version"`
	AuthRequired bool   `json:"auth_required"`
	TLSRequired  bool   `json:"tls_required"`
}

func (natsCheck) Run(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	var c net.Conn
	c, err := t.Dial(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	line, err := audit.ReadUntil(c, audit.UntilLine, replyMax)
	if err != nil && !audit.UntilLine(line) {
		return nil, fmt.Errorf("reading INFO: %w", err)
	}
	info, ok := parseNATSInfo(line)
	if !ok || info.AuthRequired {
		return nil, audit.ErrNotApplicable
	}
	if info.TLSRequired {
		// The client starts TLS right after INFO; the certificate is
		// another check's business.
		tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // judged elsewhere
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, fmt.Errorf("TLS after INFO: %w", err)
		}
		c = tc
	}
	b, err := audit.Exchange(c, []byte(natsConnect), natsAnswered, replyMax)
	if err != nil && !natsAnswered(b) {
		return nil, fmt.Errorf("CONNECT: %w", err)
	}
	return JudgeNATS(line, b)
}

// natsAnswered: PONG, or an error line.
func natsAnswered(b []byte) bool {
	return bytes.Contains(b, []byte("PONG\r\n")) || bytes.Contains(b, []byte("-ERR")) && audit.UntilLine(b)
}

func parseNATSInfo(line []byte) (natsInfo, bool) {
	var info natsInfo
	rest, ok := bytes.CutPrefix(line, []byte("INFO "))
	if !ok {
		return info, false
	}
	rest, _, _ = bytes.Cut(rest, []byte("\n"))
	if json.Unmarshal(bytes.TrimSpace(rest), &info) != nil || info.ServerID == "" {
		return info, false
	}
	return info, true
}

// JudgeNATS judges a NATS server's INFO line and its answer to a
// CONNECT without credentials followed by PING: INFO without
// auth_required, then +OK and PONG and no -ERR, means anyone can publish
// and subscribe to every subject. An "Authorization Violation", or an
// INFO that asks for authentication, is not applicable.
func JudgeNATS(info, answer []byte) ([]record.Finding, error) {
	in, ok := parseNATSInfo(info)
	if !ok || in.AuthRequired || bytes.Contains(answer, []byte("-ERR")) ||
		!bytes.Contains(answer, []byte("+OK")) || !bytes.Contains(answer, []byte("PONG")) {
		return nil, audit.ErrNotApplicable
	}
	tlsNote := ""
	if in.TLSRequired {
		tlsNote = ", TLS required: any client that speaks TLS"
	}
	return []record.Finding{{
		ID: "nats-no-auth", Category: record.NoAuth, Severity: record.High,
		Title: "NATS server accepts clients without credentials",
		Evidence: audit.Evidence([]byte(fmt.Sprintf("INFO: auth_required false (server %s, version %s); "+
			"CONNECT without credentials: +OK, PING: PONG%s", in.ServerID, in.Version, tlsNote))),
		Remediation: "configure authorization in nats-server.conf (`authorization { users = [...] }`, an nkey or JWT " +
			"`operator`/`resolver`, or `token`) and `tls { verify: true }` for client certificates; keep `no_auth_user` unset",
		References: []string{"CWE-306", "https://docs.nats.io/running-a-nats-service/configuration/securing_nats/auth_intro"},
		Confidence: record.Confirmed,
	}}, nil
}

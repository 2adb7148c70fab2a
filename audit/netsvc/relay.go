package netsvc

import (
	"bytes"
	"context"
	"fmt"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { audit.Register(relayCheck{}) }

// The envelope of the relay test: both domains are reserved (RFC 2606),
// so no mail could ever reach anyone, and the test stops before DATA.
const (
	relayFrom = "ajar-audit@example.org"
	relayTo   = "ajar-relay-test@example.net"
)

// relayCheck asks an SMTP server, as a client that gave no credentials,
// to take a mail for a domain that is not its own: EHLO, MAIL FROM, RCPT
// TO, then RSET and QUIT, never DATA. It is intrusive: the server does
// work on a stranger's behalf (and may log or rate the attempt).
type relayCheck struct{}

func (relayCheck) Info() audit.Info {
	return audit.Info{Name: "smtp-relay", Services: []string{"smtp"}, Proto: portspec.TCP, Safety: audit.Intrusive}
}

func (relayCheck) Run(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	c, err := t.Dial(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	greeting, err := audit.ReadUntil(c, smtpFinal, replyMax)
	if err != nil || !bytes.HasPrefix(greeting, []byte("220")) {
		return nil, audit.ErrNotApplicable
	}
	var replies [3][]byte
	for i, cmd := range []string{"EHLO ajar-audit.invalid", "MAIL FROM:<" + relayFrom + ">", "RCPT TO:<" + relayTo + ">"} {
		if replies[i], err = audit.Exchange(c, []byte(cmd+"\r\n"), smtpFinal, replyMax); err != nil {
			return nil, fmt.Errorf("%s: %w", cmd, err)
		}
		if !bytes.HasPrefix(replies[i], []byte("2")) {
			break
		}
	}
	// Whatever was accepted is dropped: RSET, then QUIT.
	audit.Exchange(c, []byte("RSET\r\n"), smtpFinal, replyMax)
	c.Write([]byte("QUIT\r\n"))
	return JudgeRelay(replies[1], replies[2])
}

// JudgeRelay judges the replies to MAIL FROM and RCPT TO of relayFrom
// and relayTo: both accepted (250, or 251 "will forward") means the
// server relays for anyone who connects.
func JudgeRelay(mail, rcpt []byte) ([]record.Finding, error) {
	if !bytes.HasPrefix(mail, []byte("250")) || !(bytes.HasPrefix(rcpt, []byte("250")) || bytes.HasPrefix(rcpt, []byte("251"))) {
		return nil, audit.ErrNotApplicable
	}
	line, _, _ := bytes.Cut(rcpt, []byte("\r\n"))
	return []record.Finding{{
		ID: "smtp-open-relay", Category: record.OpenRelay, Severity: record.High,
		Title:    "SMTP server accepts mail for other domains from anyone: an open relay for spam",
		Evidence: audit.Evidence([]byte(fmt.Sprintf("MAIL FROM:<%s> then RCPT TO:<%s> without authentication: %s (stopped before DATA, RSET)", relayFrom, relayTo, line))),
		Remediation: "relay only for your own hosts or authenticated users: Exim `hostlist relay_from_hosts = <your networks>` " +
			"with `require verify = recipient` and `deny message = relay not permitted` in acl_check_rcpt; Postfix " +
			"`smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination` and a tight `mynetworks`",
		References: []string{"CWE-269", "RFC 5321 section 3.9", "https://www.rfc-editor.org/rfc/rfc2505"},
		Confidence: record.Confirmed,
	}}, nil
}

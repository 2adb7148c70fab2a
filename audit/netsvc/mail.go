package netsvc

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() {
	audit.Register(mailCheck{proto: imapProto})
	audit.Register(mailCheck{proto: pop3Proto})
	audit.Register(mailCheck{proto: smtpProto})
}

// mailProto says how to ask a mail protocol what it offers before TLS.
type mailProto struct {
	service string
	// greeted and answered say when the greeting and the answer to ask
	// have come whole.
	greeted, answered func([]byte) bool
	ask               string
	judge             func(caps []byte) []record.Finding
}

var (
	imapProto = mailProto{service: "imap", greeted: audit.UntilLine, ask: "a1 CAPABILITY\r\n",
		answered: func(b []byte) bool { return bytes.HasPrefix(b, []byte("a1 ")) || bytes.Contains(b, []byte("\na1 ")) },
		judge:    JudgeIMAP}
	pop3Proto = mailProto{service: "pop3", greeted: audit.UntilLine, ask: "CAPA\r\n",
		answered: func(b []byte) bool {
			return bytes.HasSuffix(b, []byte("\r\n.\r\n")) || bytes.HasPrefix(b, []byte("-ERR"))
		},
		judge: JudgePOP3}
	smtpProto = mailProto{service: "smtp", greeted: smtpFinal, ask: "EHLO ajar-audit.invalid\r\n",
		answered: smtpFinal, judge: JudgeSMTPAuth}
)

// smtpFinal: the last line of an SMTP reply has come ("250 " after any
// number of "250-" lines).
func smtpFinal(b []byte) bool {
	if !bytes.HasSuffix(b, []byte("\n")) {
		return false
	}
	lines := bytes.Split(bytes.TrimRight(b, "\r\n"), []byte("\n"))
	last := lines[len(lines)-1]
	return len(last) >= 4 && last[3] == ' ' || len(last) == 3
}

// mailCheck asks a mail server in clear what it offers, and judges
// whether it takes a password before TLS.
type mailCheck struct{ proto mailProto }

func (c mailCheck) Info() audit.Info {
	return audit.Info{Name: c.proto.service + "-cleartext", Services: []string{c.proto.service}, Proto: portspec.TCP}
}

func (c mailCheck) Run(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	if t.Service.Tunnel == "ssl" {
		return nil, audit.ErrNotApplicable
	}
	conn, err := t.DialPlain(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if _, err := audit.ReadUntil(conn, c.proto.greeted, replyMax); err != nil {
		return nil, fmt.Errorf("greeting: %w", err)
	}
	b, err := audit.Exchange(conn, []byte(c.proto.ask), c.proto.answered, replyMax)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", strings.TrimSpace(c.proto.ask), err)
	}
	conn.Write([]byte("QUIT\r\n")) // a courtesy: the answer is in
	fs := c.proto.judge(b)
	if len(fs) == 0 {
		return nil, audit.ErrNotApplicable
	}
	return fs, nil
}

// words are the capability tokens of lines, upper case.
func words(lines []byte) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(strings.ToUpper(string(lines))) {
		m[w] = true
	}
	return m
}

// JudgeIMAP judges the answer to CAPABILITY on a connection without TLS
// (RFC 9051 section 6.1.1): a LOGIN not refused (no LOGINDISABLED), or
// AUTH=PLAIN or AUTH=LOGIN offered, lets a client send its password in
// clear.
func JudgeIMAP(b []byte) []record.Finding {
	var caps []byte
	for _, line := range bytes.Split(b, []byte("\n")) {
		if rest, ok := bytes.CutPrefix(line, []byte("* CAPABILITY ")); ok {
			caps = rest
		}
	}
	w := words(caps)
	if !w["IMAP4REV1"] && !w["IMAP4REV2"] {
		return nil
	}
	var how []string
	if !w["LOGINDISABLED"] {
		how = append(how, "LOGIN")
	}
	for _, m := range []string{"AUTH=PLAIN", "AUTH=LOGIN"} {
		if w[m] {
			how = append(how, m)
		}
	}
	return cleartext("imap", w["STARTTLS"], how, "* CAPABILITY "+string(bytes.TrimSpace(caps)),
		"Dovecot `disable_plaintext_auth = yes` (2.4: `auth_allow_cleartext = no`) with `ssl = required`; "+
			"Cyrus `allowplaintext: no`; or offer IMAP on implicit TLS (993) only")
}

// JudgePOP3 judges the answer to CAPA on a connection without TLS (RFC
// 2449, 2595): USER, or SASL PLAIN or LOGIN, offered.
func JudgePOP3(b []byte) []record.Finding {
	if !bytes.HasPrefix(b, []byte("+OK")) {
		return nil
	}
	var how []string
	stls := false
	for _, line := range bytes.Split(b, []byte("\n")) {
		f := strings.Fields(strings.ToUpper(string(line)))
		switch {
		case len(f) == 0:
		case f[0] == "USER":
			how = append(how, "USER/PASS")
		case f[0] == "STLS":
			stls = true
		case f[0] == "SASL":
			for _, m := range f[1:] {
				if m == "PLAIN" || m == "LOGIN" {
					how = append(how, "SASL "+m)
				}
			}
		}
	}
	return cleartext("pop3", stls, how, string(bytes.TrimSpace(b)),
		"Dovecot `disable_plaintext_auth = yes` (2.4: `auth_allow_cleartext = no`) with `ssl = required`; "+
			"or offer POP3 on implicit TLS (995) only")
}

// JudgeSMTPAuth judges the answer to EHLO on a connection without TLS
// (RFC 4954 section 4): AUTH PLAIN or LOGIN offered before STARTTLS.
func JudgeSMTPAuth(b []byte) []record.Finding {
	if !bytes.HasPrefix(b, []byte("250")) {
		return nil
	}
	var how []string
	stls := false
	for _, line := range bytes.Split(b, []byte("\n")) {
		if len(line) < 4 {
			continue
		}
		f := strings.Fields(strings.ToUpper(string(line[4:])))
		switch {
		case len(f) == 0:
		case f[0] == "STARTTLS":
			stls = true
		case f[0] == "AUTH" || strings.HasPrefix(f[0], "AUTH="):
			for _, m := range append(f[1:], strings.TrimPrefix(f[0], "AUTH=")) {
				if m == "PLAIN" || m == "LOGIN" {
					how = append(how, "AUTH "+m)
				}
			}
		}
	}
	return cleartext("smtp", stls, how, string(bytes.TrimSpace(b)),
		"advertise AUTH only after STARTTLS: Exim `server_advertise_condition = ${if def:tls_in_cipher}` on each "+
			"plaintext authenticator, Postfix `smtpd_tls_auth_only = yes`; or submission on implicit TLS (465) only")
}

// cleartext is the finding of a mail protocol that takes a password in
// clear, how: the ways it takes one.
func cleartext(proto string, starttls bool, how []string, ev, fix string) []record.Finding {
	if len(how) == 0 {
		return nil
	}
	tls := "and offers no STARTTLS"
	if starttls {
		tls = "before STARTTLS"
	}
	title := strings.ToUpper(proto) + " server takes passwords in clear " + tls
	return []record.Finding{{
		ID: proto + "-cleartext-login", Category: record.Cleartext, Severity: record.Medium,
		Title:       title,
		Evidence:    audit.Evidence([]byte(strings.Join(how, ", ") + " accepted without TLS: " + ev)),
		Remediation: fix,
		References:  []string{"CWE-319", "RFC 8314"},
		Confidence:  record.Confirmed,
	}}
}

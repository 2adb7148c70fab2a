package netsvc

import (
	"testing"

	"github.com/ajarsec/ajar/record"
)

func one(fs []record.Finding) string {
	if len(fs) == 0 {
		return "n/a"
	}
	return judged(fs, nil)
}

func TestJudgeMail(t *testing.T) {
	for _, tc := range []struct {
		name  string
		judge func([]byte) []record.Finding
		in    string
		want  string
	}{
		// Dovecot 2.3.19, ssl = no, disable_plaintext_auth = no.
		{"imap plain", JudgeIMAP, "* CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN\r\na1 OK Pre-login capabilities listed, post-login capabilities have more.\r\n", "imap-cleartext-login/medium confirmed"},
		// Dovecot, ssl = yes, disable_plaintext_auth = yes.
		{"imap hardened", JudgeIMAP, "* CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS LOGINDISABLED\r\na1 OK Pre-login capabilities listed.\r\n", "n/a"},
		{"imap login before starttls", JudgeIMAP, "* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK\r\n", "imap-cleartext-login/medium confirmed"},
		{"not imap", JudgeIMAP, "* CAPABILITY NOTHING\r\na1 OK\r\n", "n/a"},
		{"pop3 plain", JudgePOP3, "+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nUSER\r\nSASL PLAIN\r\n.\r\n", "pop3-cleartext-login/medium confirmed"},
		{"pop3 hardened", JudgePOP3, "+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nSTLS\r\nSASL\r\n.\r\n", "n/a"},
		{"pop3 error", JudgePOP3, "-ERR unknown command\r\n", "n/a"},
		{"smtp auth in clear", JudgeSMTPAuth, "250-mail.zoo.test Hello\r\n250-SIZE 52428800\r\n250-AUTH PLAIN LOGIN\r\n250 HELP\r\n", "smtp-cleartext-login/medium confirmed"},
		// Exim 4.96 default: AUTH advertised only after STARTTLS.
		{"smtp starttls first", JudgeSMTPAuth, "250-mail.zoo.test Hello\r\n250-SIZE 52428800\r\n250-STARTTLS\r\n250 HELP\r\n", "n/a"},
		{"smtp auth cram", JudgeSMTPAuth, "250-x\r\n250 AUTH CRAM-MD5\r\n", "n/a"},
		{"smtp refused", JudgeSMTPAuth, "554 go away\r\n", "n/a"},
	} {
		if got := one(tc.judge([]byte(tc.in))); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
	for in, want := range map[string]bool{
		"250 ok\r\n": true, "250-a\r\n": false, "250-a\r\n250 b\r\n": true, "250 no end": false, "220\r\n": true,
	} {
		if smtpFinal([]byte(in)) != want {
			t.Errorf("smtpFinal(%q) != %v", in, want)
		}
	}
}

func FuzzJudgeMail(f *testing.F) {
	f.Add([]byte("* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n"))
	f.Add([]byte("250-AUTH PLAIN\r\n250 x\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, fs := range [][]record.Finding{JudgeIMAP(b), JudgePOP3(b), JudgeSMTPAuth(b)} {
			for _, x := range fs {
				if len(x.Evidence) > record.MaxEvidence {
					t.Fatalf("evidence of %d bytes", len(x.Evidence))
				}
			}
		}
		smtpFinal(b)
	})
}

package netsvc

import "testing"

func TestJudgeRelay(t *testing.T) {
	for _, tc := range []struct{ mail, rcpt, want string }{
		// Exim 4.96, acl_check_rcpt: accept.
		{"250 OK\r\n", "250 Accepted\r\n", "smtp-open-relay/high confirmed"},
		{"250 2.1.0 Ok\r\n", "251 2.1.5 will forward\r\n", "smtp-open-relay/high confirmed"},
		// Exim, Debian's default ACL; Postfix reject_unauth_destination.
		{"250 OK\r\n", "550 relay not permitted\r\n", "n/a"},
		{"250 2.1.0 Ok\r\n", "454 4.7.1 <ajar-relay-test@example.net>: Relay access denied\r\n", "n/a"},
		{"530 5.7.0 Must issue a STARTTLS command first\r\n", "", "n/a"},
		{"", "", "n/a"},
	} {
		if got := judged(JudgeRelay([]byte(tc.mail), []byte(tc.rcpt))); got != tc.want {
			t.Errorf("JudgeRelay(%q, %q) = %s, want %s", tc.mail, tc.rcpt, got, tc.want)
		}
	}
}

package noauth

import (
	"errors"
	"strings"
	"testing"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/record"
)

// judged is the IDs and severities of findings, "n/a" for
// ErrNotApplicable, or what is wrong with them.
func judged(fs []record.Finding, err error) string {
	if errors.Is(err, audit.ErrNotApplicable) {
		return "n/a"
	}
	if err != nil {
		return "error: " + err.Error()
	}
	var ids []string
	for _, f := range fs {
		if !f.Category.Valid() || f.Remediation == "" || f.Evidence == "" || len(f.Evidence) > record.MaxEvidence {
			return "incomplete finding " + f.ID
		}
		ids = append(ids, f.ID+"/"+f.Severity.String())
	}
	return strings.Join(ids, ",")
}

func TestJudgeRedis(t *testing.T) {
	for in, want := range map[string]string{
		// Redis 7.0.15 (Debian 12), no requirepass, protected-mode no.
		"+PONG\r\n": "redis-no-auth/critical",
		// requirepass set.
		"-NOAUTH Authentication required.\r\n": "n/a",
		// No password, protected mode on, client not on loopback.
		"-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user.\r\n": "n/a",
		"+PONG":                            "n/a", // not a whole line
		"HTTP/1.1 400 Bad Request\r\n\r\n": "n/a",
		"-ERR unknown command 'PING'\r\n":  "n/a",
		"+PONG-not-really\r\n":             "n/a",
		"":                                 "n/a",
	} {
		if got := judged(JudgeRedis([]byte(in))); got != want {
			t.Errorf("JudgeRedis(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestJudgeMemcached(t *testing.T) {
	// memcached 1.6.18 (Debian 12) answering stats, cut to its first lines
	// and END.
	stats := "STAT pid 1742\r\nSTAT uptime 3\r\nSTAT time 1764870000\r\nSTAT version 1.6.18\r\nSTAT libevent 2.1.12-stable\r\nEND\r\n"
	for in, want := range map[string]string{
		stats:                              "memcached-no-auth/high",
		"ERROR\r\n":                        "n/a", // SASL on: text commands refused
		"CLIENT_ERROR unauthenticated\r\n": "n/a",
		"STAT pid 1\r\n":                   "n/a", // cut short
		"+PONG\r\n":                        "n/a",
		"":                                 "n/a",
	} {
		if got := judged(JudgeMemcached([]byte(in))); got != want {
			t.Errorf("JudgeMemcached(%q) = %s, want %s", in, got, want)
		}
	}
	fs, _ := JudgeMemcached([]byte(stats))
	if strings.Contains(fs[0].Evidence, "libevent") || !strings.Contains(fs[0].Evidence, "STAT version 1.6.18") {
		t.Errorf("evidence %q: want the first four lines", fs[0].Evidence)
	}
}

func TestJudgeFTP(t *testing.T) {
	const vsftpd = "220 (vsFTPd 3.0.3)\r\n"
	for _, tc := range []struct{ greeting, user, pass, want string }{
		// vsftpd 3.0.3, anonymous_enable=YES.
		{vsftpd, "331 Please specify the password.\r\n", "230 Login successful.\r\n", "ftp-anonymous/medium"},
		// A server that lets anonymous in without a password.
		{"220 ProFTPD Server ready.\r\n", "230 Anonymous access granted, restrictions apply\r\n", "", "ftp-anonymous/medium"},
		// vsftpd, anonymous_enable=NO: asks a password, then refuses.
		{vsftpd, "331 Please specify the password.\r\n", "530 Login incorrect.\r\n", "n/a"},
		{vsftpd, "530 This FTP server is anonymous only.\r\n", "", "n/a"},
		// An HTTP server on port 21 is no anonymous FTP (nuclei-templates#6474).
		{"HTTP/1.1 400 Bad Request\r\n", "230 ", "230 ", "n/a"},
		{"", "", "", "n/a"},
	} {
		got := judged(JudgeFTP([]byte(tc.greeting), []byte(tc.user), []byte(tc.pass)))
		if got != tc.want {
			t.Errorf("JudgeFTP(%q, %q, %q) = %s, want %s", tc.greeting, tc.user, tc.pass, got, tc.want)
		}
	}
}

func TestFTPWhole(t *testing.T) {
	for in, want := range map[string]bool{
		"220 ok\r\n":                            true,
		"220-Welcome\r\n":                       false,
		"220-Welcome\r\n more\r\n220 ready\r\n": true,
		"220-Welcome\r\n230 no\r\n":             false,
		"22":                                    false,
		"220 no end":                            false,
	} {
		if got := ftpWhole([]byte(in)); got != want {
			t.Errorf("ftpWhole(%q) = %v", in, got)
		}
	}
}

func FuzzJudges(f *testing.F) {
	f.Add([]byte("+PONG\r\n"))
	f.Add([]byte("STAT pid 1\r\nEND\r\n"))
	f.Add([]byte("220 x\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, fs := range [][]record.Finding{first(JudgeRedis(b)), first(JudgeMemcached(b)), first(JudgeFTP(b, b, b))} {
			for _, x := range fs {
				if len(x.Evidence) > 2*record.MaxEvidence+64 {
					t.Fatalf("evidence of %d bytes", len(x.Evidence))
				}
			}
		}
		ftpWhole(b)
	})
}

func first(fs []record.Finding, _ error) []record.Finding { return fs }

func TestJudgeFTPTLS(t *testing.T) {
	// vsftpd 3.0.3's FEAT, without and with ssl_enable=YES.
	const plain = "211-Features:\r\n EPRT\r\n EPSV\r\n MDTM\r\n PASV\r\n REST STREAM\r\n SIZE\r\n TVFS\r\n211 End\r\n"
	const withTLS = "211-Features:\r\n AUTH TLS\r\n EPRT\r\n EPSV\r\n MDTM\r\n PASV\r\n PBSZ\r\n PROT\r\n REST STREAM\r\n SIZE\r\n TVFS\r\n211 End\r\n"
	for _, tc := range []struct{ feat, want string }{
		{plain, "ftp-cleartext/medium confirmed"},
		{withTLS, ""},
		{"211-Features:\r\n auth ssl\r\n211 End\r\n", ""},
		{"500 Unknown command.\r\n", "ftp-cleartext/medium likely"},
	} {
		var got []string
		for _, f := range JudgeFTPTLS([]byte(tc.feat)) {
			got = append(got, f.ID+"/"+f.Severity.String()+" "+string(f.Confidence))
			if f.Category != record.Cleartext || f.Remediation == "" {
				t.Errorf("finding %+v", f)
			}
		}
		if g := strings.Join(got, ","); g != tc.want {
			t.Errorf("JudgeFTPTLS(%q) = %s, want %s", tc.feat, g, tc.want)
		}
	}
}

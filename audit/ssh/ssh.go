package ssh

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { audit.Register(check{}) }

type check struct{}

func (check) Info() audit.Info {
	return audit.Info{Name: "ssh-algorithms", Services: []string{"ssh"}, Proto: portspec.TCP}
}

// clientIdent is the identification line the check sends (RFC 4253
// section 4.2), so that the server sends its KEXINIT.
var clientIdent = []byte("SSH-2.0-ajar_audit\r\n")

// maxPreamble bounds what a server may send before its identification
// line (RFC 4253 section 4.2 allows other lines first).
const maxPreamble = 8 << 10

func (check) Run(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	c, err := t.DialPlain(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	b, err := audit.ReadUntil(c, hasIdent, maxPreamble)
	if err != nil {
		return nil, fmt.Errorf("identification: %w", err)
	}
	ident, rest := identLine(b)
	if ident == "" {
		return nil, audit.ErrNotApplicable
	}
	if v := ProtoVersion(ident); v != "2.0" && v != "1.99" {
		// An SSH-1-only server sends no KEXINIT.
		return Judge(ident, KexInit{}), nil
	}
	if _, err := c.Write(clientIdent); err != nil {
		return nil, err
	}
	whole := func(b []byte) bool {
		_, n, err := ParsePacket(b)
		return n > 0 || err != nil
	}
	if !whole(rest) {
		more, err := audit.ReadUntil(c, func(m []byte) bool { return whole(append(rest[:len(rest):len(rest)], m...)) }, maxPacket+4)
		rest = append(rest, more...)
		if err != nil && !whole(rest) {
			return nil, fmt.Errorf("KEXINIT: %w", err)
		}
	}
	payload, _, err := ParsePacket(rest)
	if err != nil {
		return nil, err
	}
	k, err := ParseKexInit(payload)
	if err != nil {
		return nil, err
	}
	return Judge(ident, k), nil
}

// hasIdent: a whole line starting "SSH-" has come.
func hasIdent(b []byte) bool { l, _ := identLine(b); return l != "" }

// identLine finds the identification line among the lines a server sent
// first, and returns it without CR LF, and the bytes after it.
func identLine(b []byte) (string, []byte) {
	for len(b) > 0 {
		line, rest, ok := bytes.Cut(b, []byte("\n"))
		if !ok {
			return "", nil
		}
		if bytes.HasPrefix(line, []byte("SSH-")) {
			return string(bytes.TrimRight(line, "\r")), rest
		}
		b = rest
	}
	return "", nil
}

// Judge holds what a server said to the table of weak algorithms and to
// the Terrapin condition.
func Judge(ident string, k KexInit) []record.Finding {
	var fs []record.Finding
	if v := ProtoVersion(ident); v == "1.99" || strings.HasPrefix(v, "1.") {
		fs = append(fs, record.Finding{
			ID: "ssh-protocol-1", Category: record.WeakSSH, Severity: record.High,
			Title:       "SSH server offers protocol version 1, broken since 2001",
			Evidence:    audit.Evidence([]byte(ident)),
			Remediation: "offer protocol 2 only: `Protocol 2` (OpenSSH before 7.4), or upgrade the server",
			References:  []string{"CVE-2001-0572", "CWE-327"},
			Confidence:  record.Confirmed,
		})
	}
	for _, w := range []struct {
		id, what, directive string
		table               map[string]weakAlgo
		offered             []string
	}{
		{"ssh-weak-kex", "key exchange", "KexAlgorithms", weakKex, k.Kex},
		{"ssh-weak-hostkey", "host key", "HostKeyAlgorithms", weakHostKey, k.HostKey},
		{"ssh-weak-cipher", "cipher", "Ciphers", weakCipher, union(k.CiphersC2S, k.CiphersS2C)},
		{"ssh-weak-mac", "MAC", "MACs", weakMAC, union(k.MACsC2S, k.MACsS2C)},
	} {
		if f, ok := judgeList(w.id, w.what, w.directive, w.table, w.offered); ok {
			fs = append(fs, f)
		}
	}
	if f, ok := terrapin(k); ok {
		fs = append(fs, f)
	}
	return fs
}

func judgeList(id, what, directive string, table map[string]weakAlgo, offered []string) (record.Finding, bool) {
	var names, why []string
	sev := record.SeverityUnknown
	for _, a := range offered {
		if w, ok := table[a]; ok {
			names = append(names, a)
			why = append(why, a+": "+w.why)
			sev = max(sev, w.sev)
		}
	}
	if len(names) == 0 {
		return record.Finding{}, false
	}
	return record.Finding{
		ID: id, Category: record.WeakSSH, Severity: sev,
		Title:    fmt.Sprintf("SSH server offers weak %s algorithms", what),
		Evidence: strings.Join(why, "; "),
		Remediation: fmt.Sprintf("drop them in sshd_config: `%s -%s` (OpenSSH 7.5+), then reload sshd",
			directive, strings.Join(names, ",")),
		References: []string{"RFC 9142", "RFC 8758", "RFC 8332", "CWE-327"},
		Confidence: record.Confirmed,
	}, true
}

// terrapin reports CVE-2023-48795: a server that offers ChaCha20-Poly1305,
// or an encrypt-then-MAC MAC together with a CBC cipher, without strict
// key exchange, lets an attacker in the path drop messages at the start
// of the encrypted session unnoticed (Bäumer, Brinkmann, Schwenk 2023).
func terrapin(k KexInit) (record.Finding, bool) {
	if slices.Contains(k.Kex, strictKexServer) {
		return record.Finding{}, false
	}
	ciphers, macs := union(k.CiphersC2S, k.CiphersS2C), union(k.MACsC2S, k.MACsS2C)
	var why []string
	if slices.Contains(ciphers, "chacha20-poly1305@openssh.com") {
		why = append(why, "chacha20-poly1305@openssh.com")
	}
	var etm, cbc []string
	for _, m := range macs {
		if strings.HasSuffix(m, "-etm@openssh.com") {
			etm = append(etm, m)
		}
	}
	for _, c := range ciphers {
		if strings.HasSuffix(c, "-cbc") || strings.HasSuffix(c, "-cbc@lysator.liu.se") {
			cbc = append(cbc, c)
		}
	}
	if len(etm) > 0 && len(cbc) > 0 {
		why = append(why, strings.Join(cbc, ",")+" with "+strings.Join(etm, ","))
	}
	if len(why) == 0 {
		return record.Finding{}, false
	}
	return record.Finding{
		ID: "ssh-terrapin", Category: record.WeakSSH, Severity: record.Medium,
		Title:    "SSH server is open to the Terrapin prefix truncation attack",
		Evidence: "offers " + strings.Join(why, "; ") + " without " + strictKexServer,
		Remediation: "upgrade the server to one with strict key exchange (OpenSSH 9.6, or a distribution's fixed " +
			"package), or drop the modes: `Ciphers -chacha20-poly1305@openssh.com` and `MACs -*-etm@openssh.com`",
		References: []string{"CVE-2023-48795", "https://terrapin-attack.com"},
		Confidence: record.Likely,
	}, true
}

// union is a and b without repeats, in a's order then b's.
func union(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range slices.Concat(a, b) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

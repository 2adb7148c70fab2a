// Package ldap judges whether an LDAP server serves anyone: it binds
// anonymously (an empty name and password: RFC 4513 section 5.1.1, the
// one attempt of no credentials, never a guess), reads the root DSE's
// namingContexts, and asks for a few entries under the first one. Bind
// and searches only: nothing is written. The message codec (Parse) and
// the judgement (Judge) are pure.
package ldap

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/internal/ber"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { audit.Register(check{}) }

type check struct{}

func (check) Info() audit.Info {
	return audit.Info{Name: "ldap-anonymous", Services: []string{"ldap"}, Proto: portspec.TCP}
}

// The protocol operations (RFC 4511 section 4.2 to 4.5), as BER
// application tags.
const (
	opBindRequest  = 0x60
	opBindResponse = 0x61
	opSearchReq    = 0x63
	opSearchEntry  = 0x64
	opSearchDone   = 0x65
)

// maxEntries is how many entries the check asks for under a naming
// context: enough to show the tree is readable.
const maxEntries = 5

// Message is one LDAPMessage: its ID, operation tag and contents.
type Message struct {
	ID       int64
	Op       byte
	Contents []byte
}

// Parse splits whole LDAPMessages off b; rest is an incomplete tail.
func Parse(b []byte) (msgs []Message, rest []byte, err error) {
	for len(b) > 0 {
		if b[0] != ber.TagSequence {
			// Not LDAP: say so now, not after waiting for more.
			return msgs, nil, ber.ErrMalformed
		}
		seq, r, err := ber.Expect(b, ber.TagSequence)
		if errors.Is(err, ber.ErrShort) {
			return msgs, b, nil
		}
		if err != nil {
			return msgs, nil, err
		}
		id, inner, err := ber.ReadInt(seq)
		if err != nil {
			return msgs, nil, err
		}
		op, _, err := ber.Next(inner)
		if err != nil {
			return msgs, nil, ber.ErrMalformed
		}
		msgs = append(msgs, Message{ID: id, Op: op.Tag, Contents: op.Contents})
		b = r
	}
	return msgs, nil, nil
}

// ResultCode reads an LDAPResult's resultCode (the first element of a
// BindResponse or SearchResultDone).
func ResultCode(contents []byte) (int64, error) {
	c, _, err := ber.Expect(contents, ber.TagEnumerated)
	if err != nil {
		return 0, err
	}
	return ber.ParseInt(c)
}

// Entry reads a SearchResultEntry: its DN and the values of attr.
func Entry(contents []byte, attr string) (dn string, vals []string, err error) {
	name, rest, err := ber.Expect(contents, ber.TagOctetString)
	if err != nil {
		return "", nil, err
	}
	attrs, _, err := ber.Expect(rest, ber.TagSequence)
	if err != nil {
		return "", nil, err
	}
	list, err := ber.Children(attrs, 256)
	if err != nil {
		return "", nil, err
	}
	for _, a := range list {
		typ, rest, err := ber.Expect(a.Contents, ber.TagOctetString)
		if err != nil || !strings.EqualFold(string(typ), attr) {
			continue
		}
		set, _, err := ber.Expect(rest, ber.TagSet)
		if err != nil {
			continue
		}
		vs, _ := ber.Children(set, 64)
		for _, v := range vs {
			vals = append(vals, string(v.Contents))
		}
	}
	return string(name), vals, nil
}

func message(id int64, op ...[]byte) []byte {
	return ber.TLV(ber.TagSequence, ber.Integer(id), bytes.Join(op, nil))
}

// BindAnonymous is an LDAPv3 simple bind with an empty name and password.
func BindAnonymous(id int64) []byte {
	return message(id, ber.TLV(opBindRequest, ber.Integer(3), ber.OctetString(""), ber.TLV(0x80)))
}

// Search asks for entries under base (scope 0 base, 1 one level), all
// objects (objectClass present), with attrs only.
func Search(id int64, base string, scope int64, size int64, attrs ...string) []byte {
	var as []byte
	for _, a := range attrs {
		as = append(as, ber.OctetString(a)...)
	}
	req := ber.TLV(opSearchReq, ber.OctetString(base), ber.TLV(ber.TagEnumerated, ber.Int(scope)),
		ber.TLV(ber.TagEnumerated, ber.Int(0)), ber.Integer(size), ber.Integer(10),
		ber.TLV(ber.TagBoolean, []byte{0}), ber.TLV(0x87, []byte("objectClass")), ber.TLV(ber.TagSequence, as))
	return message(id, req)
}

// exchange sends req and reads messages until one of op with id comes;
// it returns every message of id.
func exchange(c net.Conn, req []byte, id int64, op byte) ([]Message, error) {
	if _, err := c.Write(req); err != nil {
		return nil, err
	}
	var got []Message
	var buf []byte
	chunk := make([]byte, 4096)
	for len(buf) < 256<<10 {
		n, err := c.Read(chunk)
		buf = append(buf, chunk[:n]...)
		msgs, rest, perr := Parse(buf)
		if perr != nil {
			return got, perr
		}
		buf = rest
		for _, m := range msgs {
			if m.ID != id {
				continue
			}
			got = append(got, m)
			if m.Op == op {
				return got, nil
			}
		}
		if err != nil {
			return got, err
		}
	}
	return got, audit.ErrBudget
}

func (check) Run(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	c, err := t.Dial(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	bind, err := exchange(c, BindAnonymous(1), 1, opBindResponse)
	if err != nil {
		return nil, fmt.Errorf("bind: %w", err)
	}
	code, err := ResultCode(bind[len(bind)-1].Contents)
	if err != nil {
		return nil, fmt.Errorf("bind response: %w", err)
	}
	var contexts, entries []string
	root, err := exchange(c, Search(2, "", 0, 1, "namingContexts"), 2, opSearchDone)
	if err != nil {
		return nil, fmt.Errorf("root DSE: %w", err)
	}
	for _, m := range root {
		if m.Op == opSearchEntry {
			if _, vs, err := Entry(m.Contents, "namingContexts"); err == nil {
				contexts = append(contexts, vs...)
			}
		}
	}
	if len(contexts) > 0 {
		tree, err := exchange(c, Search(3, contexts[0], 1, maxEntries, "1.1"), 3, opSearchDone)
		if err != nil {
			return nil, fmt.Errorf("search of %s: %w", contexts[0], err)
		}
		for _, m := range tree {
			if m.Op == opSearchEntry {
				if dn, _, err := Entry(m.Contents, ""); err == nil {
					entries = append(entries, dn)
				}
			}
		}
	}
	c.Write(message(4, ber.TLV(0x42))) // UnbindRequest
	return Judge(code, contexts, entries), nil
}

// Judge judges an anonymous session: the bind's result code, the naming
// contexts the root DSE named, and the entries read under the first.
func Judge(bindCode int64, contexts, entries []string) []record.Finding {
	var fs []record.Finding
	if bindCode == 0 {
		fs = append(fs, record.Finding{
			ID: "ldap-anonymous-bind", Category: record.NoAuth, Severity: record.Low,
			Title:    "LDAP server accepts anonymous binds",
			Evidence: "simple bind with an empty name and password: resultCode 0 (success)",
			Remediation: "refuse them unless needed: `disallow bind_anon` (OpenLDAP slapd.conf; olcDisallows: bind_anon), " +
				"and `require authc` for every operation",
			References: []string{"RFC 4513 section 5.1.1", "CWE-287"},
			Confidence: record.Confirmed,
		})
	}
	if len(entries) > 0 {
		fs = append(fs, record.Finding{
			ID: "ldap-anonymous-read", Category: record.NoAuth, Severity: record.Medium,
			Title: "LDAP directory tree is readable without credentials",
			Evidence: audit.Evidence([]byte(fmt.Sprintf("under %s, %d entries read anonymously: %s",
				contexts[0], len(entries), strings.Join(entries, "; ")))),
			Remediation: "give anonymous users authentication only: `access to * by users read by anonymous auth` " +
				"(OpenLDAP; keep `access to dn.base=\"\" by * read` for the root DSE)",
			References: []string{"CWE-200", "CWE-306"},
			Confidence: record.Confirmed,
		})
	}
	return fs
}

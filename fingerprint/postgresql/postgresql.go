// Package postgresql recognises PostgreSQL servers. The client speaks
// first: an SSLRequest (answered by a single 'S' or 'N'), TLS when the
// server offers it, then a StartupMessage for user and database "ajar",
// whose answer (an authentication request or an ErrorResponse) proves the
// protocol. Before authentication the server does not say its version,
// unless it lets the client in ("trust") and sends server_version.
package postgresql

import (
	"bytes"
	"context"
	"encoding/binary"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{
		Name:   "postgresql",
		Proto:  portspec.TCP,
		Ports:  []uint16{5432, 5433},
		Rarity: 3,
	}
}

const (
	sslRequestCode = 80877103 // 1234 << 16 | 5679
	protocol30     = 3 << 16
	// replyMax bounds what the server's startup answer may take; an
	// ErrorResponse is a few hundred bytes.
	replyMax = 16 << 10
	// msgMax bounds one message of the startup answer.
	msgMax = 8 << 10
)

// SSLRequest is the 8-byte request that asks the server for TLS.
func SSLRequest() []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint32(b, 8)
	binary.BigEndian.PutUint32(b[4:], sslRequestCode)
	return b
}

// StartupMessage is a protocol 3.0 startup packet for user and database.
func StartupMessage(user, database string) []byte {
	b := make([]byte, 8, 64)
	binary.BigEndian.PutUint32(b[4:], protocol30)
	for _, s := range []string{"user", user, "database", database, "application_name", "ajar"} {
		b = append(append(b, s...), 0)
	}
	b = append(b, 0)
	binary.BigEndian.PutUint32(b, uint32(len(b)))
	return b
}

func (plugin) Identify(ctx context.Context, c *fingerprint.Conn) (*record.Service, error) {
	upgraded := false
	if c.TLS() == nil {
		b, err := c.Exchange(SSLRequest(), nil, 256)
		if len(b) == 0 {
			return nil, err
		}
		switch {
		case len(b) == 1 && b[0] == 'S':
			if err := c.StartTLS(ctx, "SSLRequest"); err != nil {
				// One 'S' in answer to an SSLRequest, and then no TLS:
				// likely PostgreSQL, but little evidence.
				return &record.Service{Name: "postgresql", Product: "PostgreSQL",
					ExtraInfo: "SSL accepted, TLS handshake failed", Confidence: 5,
					CPE: []string{fingerprint.CPE("postgresql", "postgresql", "")}}, nil
			}
			upgraded = true
		case len(b) == 1 && b[0] == 'N':
		case b[0] == 'E':
			// Servers that do not know SSLRequest answer it with an
			// ErrorResponse.
			return ParseStartup(b)
		default:
			return nil, fingerprint.ErrNoMatch
		}
	}
	b, err := c.Exchange(StartupMessage("ajar", "ajar"), startupDone, replyMax)
	svc, perr := ParseStartup(b)
	if perr != nil {
		if upgraded {
			// 'S', then a TLS session, but no startup answer.
			return &record.Service{Name: "postgresql", Product: "PostgreSQL", ExtraInfo: "SSL accepted",
				Confidence: 7, CPE: []string{fingerprint.CPE("postgresql", "postgresql", "")}}, nil
		}
		if len(b) == 0 && err != nil {
			return nil, err
		}
		return nil, perr
	}
	return svc, nil
}

// message is one backend message: a type byte and its body.
type message struct {
	typ  byte
	body []byte
}

// nextMessage splits the first message off b. It reports whole false
// when b holds only part of it, and ok false when b cannot be a message.
func nextMessage(b []byte) (m message, rest []byte, whole, ok bool) {
	if len(b) < 5 {
		return m, b, false, len(b) == 0 || validType(b[0])
	}
	n := int(binary.BigEndian.Uint32(b[1:5]))
	if !validType(b[0]) || n < 4 || n > msgMax {
		return m, b, false, false
	}
	if len(b) < 1+n {
		return m, b, false, true
	}
	return message{b[0], b[5 : 1+n]}, b[1+n:], true, true
}

// validType says whether t is a message a server sends during startup.
func validType(t byte) bool {
	switch t {
	case 'R', 'E', 'S', 'K', 'Z', 'N', 'v':
		return true
	}
	return false
}

// startupDone is a ReadUntil test: the startup answer has reached a
// point where the server waits for the client (an authentication
// request other than OK), failed (ErrorResponse), is ready (ReadyForQuery),
// or cannot be PostgreSQL.
func startupDone(b []byte) bool {
	for {
		m, rest, whole, ok := nextMessage(b)
		if !ok {
			return true
		}
		if !whole {
			return false
		}
		switch m.typ {
		case 'E', 'Z':
			return true
		case 'R':
			if len(m.body) < 4 || binary.BigEndian.Uint32(m.body) != 0 {
				return true
			}
		}
		b = rest
	}
}

// authMethods names the authentication requests by their code.
var authMethods = map[uint32]string{
	0: "trust", 2: "Kerberos V5", 3: "password", 5: "md5", 7: "GSSAPI", 9: "SSPI", 10: "SASL",
}

// ParseStartup reads the server's answer to a StartupMessage: an
// authentication request ('R'), an ErrorResponse ('E'), or a
// NegotiateProtocolVersion ('v') followed by one of them; after
// AuthenticationOk, the ParameterStatus messages carry server_version.
func ParseStartup(b []byte) (*record.Service, error) {
	svc := &record.Service{Name: "postgresql", Product: "PostgreSQL", Confidence: 10}
	var extra []string
	seen, proof := 0, false
	for len(b) > 0 {
		m, rest, whole, ok := nextMessage(b)
		if !ok || !whole {
			break
		}
		b = rest
		if seen == 0 && m.typ != 'R' && m.typ != 'E' && m.typ != 'v' {
			return nil, fingerprint.ErrNoMatch
		}
		seen++
		switch m.typ {
		case 'R':
			method, ok := parseAuth(m.body)
			if !ok {
				return nil, fingerprint.ErrNoMatch
			}
			extra = append(extra, "auth: "+method)
			proof = true
		case 'E':
			e, ok := parseError(m.body)
			if !ok {
				return nil, fingerprint.ErrNoMatch
			}
			extra = append(extra, e)
			proof = true
		case 'v':
			if len(m.body) < 8 {
				return nil, fingerprint.ErrNoMatch
			}
		case 'S':
			if name, value, ok := parseParameter(m.body); ok && name == "server_version" {
				svc.Version, _, _ = strings.Cut(value, " ")
				if !isVersion(svc.Version) {
					svc.Version = ""
				} else if _, more, ok := strings.Cut(value, " ("); ok {
					extra = append(extra, strings.TrimSuffix(more, ")"))
				}
			}
		}
	}
	if !proof {
		return nil, fingerprint.ErrNoMatch
	}
	svc.ExtraInfo = strings.Join(extra, "; ")
	svc.CPE = []string{fingerprint.CPE("postgresql", "postgresql", svc.Version)}
	return svc, nil
}

// parseAuth names an authentication request; SASL lists its mechanisms.
func parseAuth(body []byte) (string, bool) {
	if len(body) < 4 {
		return "", false
	}
	code := binary.BigEndian.Uint32(body)
	method, ok := authMethods[code]
	if !ok {
		return "", false
	}
	switch code {
	case 0, 3:
		return method, len(body) == 4
	case 5:
		return method, len(body) == 8
	case 10:
		var mechs []string
		for _, m := range bytes.Split(body[4:], []byte{0}) {
			if len(m) > 0 && printable(m) {
				mechs = append(mechs, string(m))
			}
		}
		if len(mechs) == 0 {
			return "", false
		}
		return strings.Join(mechs, ","), true
	}
	return method, true
}

// parseError renders an ErrorResponse: fields of a type byte and a
// NUL-terminated string. Severity and SQLSTATE code are required.
func parseError(body []byte) (string, bool) {
	fields := map[byte]string{}
	for len(body) > 0 && body[0] != 0 {
		i := bytes.IndexByte(body, 0)
		if i < 1 {
			return "", false
		}
		fields[body[0]] = string(body[1:i])
		body = body[i+1:]
	}
	code := fields['C']
	if len(code) != 5 || !printable([]byte(code)) || (fields['S'] == "" && fields['V'] == "") {
		return "", false
	}
	msg := fields['M']
	if len(msg) > 120 {
		msg = msg[:120] + "..."
	}
	return "error " + code + ": " + fingerprint.Printable([]byte(msg), 160), true
}

func parseParameter(body []byte) (name, value string, ok bool) {
	parts := bytes.SplitN(body, []byte{0}, 3)
	if len(parts) < 3 {
		return "", "", false
	}
	return string(parts[0]), string(parts[1]), true
}

func printable(b []byte) bool {
	for _, ch := range b {
		if ch < 0x20 || ch > 0x7e {
			return false
		}
	}
	return true
}

// isVersion accepts "15.5", "9.6.24", "16beta1".
func isVersion(s string) bool {
	if s == "" || len(s) > 32 || s[0] < '0' || s[0] > '9' {
		return false
	}
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '.', r == '-', r == '+', r == '~':
		default:
			return false
		}
	}
	return true
}

package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/fingerprint/mysql"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { audit.Register(mysqlCheck{}) }

type mysqlCheck struct{}

func (mysqlCheck) Info() audit.Info {
	return audit.Info{Name: "mysql-empty-root", Services: []string{"mysql"}, Proto: portspec.TCP}
}

// Capability flags of the client protocol.
const (
	myLongPassword = 0x00000001
	myProtocol41   = 0x00000200
	mySecureConn   = 0x00008000
	myPluginAuth   = 0x00080000
	// myPacketMax bounds one packet read: handshakes, OK and ERR
	// packets are small.
	myPacketMax = 4 << 10
)

// mysqlReadPacket reads one packet: its sequence number and payload.
func mysqlReadPacket(r io.Reader) (seq byte, payload []byte, err error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	n := int(h[0]) | int(h[1])<<8 | int(h[2])<<16
	if n == 0 || n > myPacketMax {
		return 0, nil, fmt.Errorf("packet of %d bytes: %w", n, audit.ErrNotApplicable)
	}
	payload = make([]byte, n)
	_, err = io.ReadFull(r, payload)
	return h[3], payload, err
}

func mysqlPacket(seq byte, payload []byte) []byte {
	n := len(payload)
	return append([]byte{byte(n), byte(n >> 8), byte(n >> 16), seq}, payload...)
}

// HandshakeResponse is a protocol 4.1 handshake response for user with
// an empty password: an empty auth response, and the plugin name
// mysql_native_password when the server speaks of plugins.
func HandshakeResponse(serverCaps uint32, user string) []byte {
	caps := uint32(myLongPassword|myProtocol41|mySecureConn|myPluginAuth) & (serverCaps | myProtocol41)
	p := binary.LittleEndian.AppendUint32(nil, caps)
	p = binary.LittleEndian.AppendUint32(p, 16<<20)
	p = append(p, 33) // utf8_general_ci
	p = append(p, make([]byte, 23)...)
	p = append(append(p, user...), 0)
	// The empty password: an auth response of length 0 (or, without
	// secure connection, an empty NUL-terminated one): one byte 0 both.
	p = append(p, 0)
	if caps&myPluginAuth != 0 {
		p = append(append(p, "mysql_native_password"...), 0)
	}
	return p
}

func (mysqlCheck) Run(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	c, err := t.Dial(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	_, greet, err := mysqlReadPacket(c)
	if err != nil {
		return nil, fmt.Errorf("reading the greeting: %w", err)
	}
	hs, err := mysql.ParseHandshake(greet)
	if err != nil {
		return nil, audit.ErrNotApplicable // an error packet (host not allowed) or not MySQL
	}
	// The one login: root, empty password.
	if _, err := c.Write(mysqlPacket(1, HandshakeResponse(hs.Capabilities, "root"))); err != nil {
		return nil, err
	}
	var replies [][]byte
	for i := 0; i < 3; i++ {
		seq, p, err := mysqlReadPacket(c)
		if err != nil {
			return nil, fmt.Errorf("reading the login's answer: %w", err)
		}
		replies = append(replies, p)
		switch {
		case p[0] == 0xfe && len(p) > 1:
			// AuthSwitchRequest: the same empty password, in the
			// plugin the server asks for, if it is one that has one.
			plugin, _, _ := bytes.Cut(p[1:], []byte{0})
			if !emptyPasswordPlugin(string(plugin)) {
				return nil, audit.ErrNotApplicable
			}
			if _, err := c.Write(mysqlPacket(seq+1, nil)); err != nil {
				return nil, err
			}
		case p[0] == 0x01 && len(p) == 2 && p[1] == 0x03:
			// caching_sha2_password's fast authentication succeeded;
			// the OK packet follows.
		default:
			return JudgeMySQL(hs.Version, replies)
		}
	}
	return nil, errors.New("login answer: too many exchanges")
}

// emptyPasswordPlugin: authentication plugins whose empty password is
// an empty auth response.
func emptyPasswordPlugin(p string) bool {
	return p == "mysql_native_password" || p == "caching_sha2_password" || p == "mysql_old_password"
}

// JudgeMySQL judges the server's answers to a login as root with an
// empty password: an OK packet (0x00) last means anyone who reaches the
// port is root. An error packet (1045 access denied, 1130 host not
// allowed, a required TLS) is not applicable.
func JudgeMySQL(version string, replies [][]byte) ([]record.Finding, error) {
	if len(replies) == 0 {
		return nil, audit.ErrNotApplicable
	}
	last := replies[len(replies)-1]
	if len(last) < 7 || last[0] != 0x00 {
		return nil, audit.ErrNotApplicable
	}
	ev := "login as root with an empty password: OK packet"
	if len(replies) > 1 {
		ev += " (after an authentication method switch)"
	}
	if version != "" {
		ev += "; server " + version
	}
	return []record.Finding{{
		ID: "mysql-empty-root-password", Category: record.DefaultCredentials, Severity: record.Critical,
		Title:    "MySQL/MariaDB accepts root with an empty password",
		Evidence: audit.Evidence([]byte(ev)),
		Remediation: "give root a password or socket authentication (`ALTER USER 'root'@'%' IDENTIFIED BY '<secret>'`, " +
			"or `DROP USER 'root'@'%'` and keep root@localhost `IDENTIFIED VIA unix_socket`), run `mariadb-secure-installation`; " +
			"set `bind-address = 127.0.0.1` unless remote clients need it",
		References: []string{"CWE-521", "CWE-1392", "https://mariadb.com/kb/en/mariadb-secure-installation/"},
		Confidence: record.Confirmed,
	}}, nil
}

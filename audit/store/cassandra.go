package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/fingerprint/cassandra"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { audit.Register(cassandraCheck{}) }

type cassandraCheck struct{}

func (cassandraCheck) Info() audit.Info {
	return audit.Info{Name: "cassandra-auth", Services: []string{"cassandra"}, Proto: portspec.TCP}
}

// Native protocol v4 response opcodes.
const (
	cqlReady        = 0x02
	cqlAuthenticate = 0x03
)

func (cassandraCheck) Run(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	c, err := t.Dial(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if _, err := c.Write(cassandra.Startup("3.0.0")); err != nil {
		return nil, err
	}
	var h [9]byte
	if _, err := io.ReadFull(c, h[:]); err != nil {
		return nil, fmt.Errorf("STARTUP: %w", err)
	}
	n := binary.BigEndian.Uint32(h[5:])
	if n > replyMax {
		return nil, audit.ErrNotApplicable
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(c, body); err != nil {
		return nil, fmt.Errorf("STARTUP: %w", err)
	}
	return JudgeCassandra(h[:], body)
}

// JudgeCassandra judges the answer to a native protocol v4 STARTUP: a
// READY on the request's stream means the node lets anyone run CQL
// without logging in (authenticator: AllowAllAuthenticator, the
// default). AUTHENTICATE (PasswordAuthenticator) and ERROR are not
// applicable.
func JudgeCassandra(header, body []byte) ([]record.Finding, error) {
	if len(header) < 9 || header[0] != 0x84 || header[2] != 0 || header[3] != 2 || header[4] != cqlReady {
		return nil, audit.ErrNotApplicable
	}
	return []record.Finding{{
		ID: "cassandra-no-auth", Category: record.NoAuth, Severity: record.Critical,
		Title:    "Cassandra accepts CQL sessions without authentication",
		Evidence: "STARTUP (native protocol v4, CQL 3.0.0) without credentials: READY, not AUTHENTICATE",
		Remediation: "set `authenticator: PasswordAuthenticator` and `authorizer: CassandraAuthorizer` in cassandra.yaml, " +
			"raise system_auth's replication, change the cassandra/cassandra superuser's password; " +
			"bind `rpc_address`/`native_transport_address` to an internal address",
		References: []string{"CWE-306", "https://cassandra.apache.org/doc/latest/cassandra/managing/operating/security.html#authentication"},
		Confidence: record.Confirmed,
	}}, nil
}

// Package store holds the audit's checks of data stores that let in a
// client with no credentials: PostgreSQL with trust authentication,
// MySQL/MariaDB root with an empty password, etcd, ZooKeeper, MongoDB,
// Elasticsearch/OpenSearch, CouchDB, Cassandra, the Docker Engine API,
// the kubelet and the Kubernetes API server, and memcached over UDP (an
// amplifier). Each check asks one read-only question a client without
// credentials may ask — at most one login, with the empty password only
// where the product's own default is empty — and judges the answer with
// a pure function of the bytes, tested on literal bytes and against real
// daemons in the audit zoo (or, where Debian has no package, against a
// wire-accurate server in the test).
package store

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/ajarsec/ajar/audit"
)

// replyMax bounds one answer read; every answer judged here is a short
// message, a JSON object or the start of a listing.
const replyMax = 16 << 10

// httpDo sends one HTTP/1.1 request (body "" for none) and returns the
// status and the start of the body (at most replyMax bytes).
func httpDo(ctx context.Context, t *audit.Target, method, path, ctype, body string) (int, []byte, error) {
	c, err := t.Dial(ctx)
	if err != nil {
		return 0, nil, err
	}
	defer c.Close()
	var req strings.Builder
	fmt.Fprintf(&req, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: ajar-audit\r\nAccept: application/json\r\nConnection: close\r\n",
		method, path, t.Name())
	if body != "" {
		fmt.Fprintf(&req, "Content-Type: %s\r\nContent-Length: %d\r\n", ctype, len(body))
	}
	req.WriteString("\r\n" + body)
	if _, err := io.WriteString(c, req.String()); err != nil {
		return 0, nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, replyMax))
	if err != nil && len(b) == 0 {
		return resp.StatusCode, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	return resp.StatusCode, b, nil
}

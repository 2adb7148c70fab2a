package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/ajarsec/ajar/record"
)

// counts are what a batch adds to its run's counts.
type counts struct{ hosts, up, open, findings, sockets int64 }

// batch is the rows waiting to be committed, per table.
type batch struct {
	hosts, ports, ranges, findings, sockets [][]any
	rows                                    int
	counts                                  counts
}

var (
	hostCols    = []string{"run_id", "seq", "addr", "name", "state", "reason", "rtt_us", "mac"}
	portCols    = []string{"run_id", "seq", "addr", "hostname", "proto", "port", "state", "reason", "rtt_us", "service", "product", "version", "cpe", "service_json"}
	rangeCols   = []string{"run_id", "seq", "addr", "proto", "state", "reason", "ports"}
	findingCols = []string{"run_id", "addr", "proto", "port", "finding_id", "category", "severity", "title", "seq", "finding_json"}
	socketCols  = []string{"run_id", "seq", "proto", "local_addr", "local_port", "peer", "state", "inode", "uid", "username",
		"pid", "process", "cmdline", "device", "v6only", "exposure", "interfaces", "holders"}
)

// queued is a record Write turned into its row (and a port's findings'
// rows): the writer numbers it (row[1], its seq) and moves it to a batch.
type queued struct {
	kind     uint8
	addr     netip.Addr // a host's: its ranges go in before it
	row      []any
	findings [][]any
	counts   counts
}

// The kinds of queued record.
const (
	qHost = iota
	qPort
	qSocket
)

// The rows leave the run's id and seq out (nil): writeBatch sets the
// id, the writer the seq.

func hostRow(h *record.Host) queued {
	q := queued{kind: qHost, addr: h.Addr, row: []any{nil, nil, h.Addr.String(), h.Name, h.State.String(), string(h.Reason),
		h.RTT.Microseconds(), h.MAC.String()}}
	q.counts.hosts++
	if h.State == record.Up {
		q.counts.up++
	}
	return q
}

func portRow(r *record.PortResult) queued {
	var name, product, version, cpe, js string
	if s := r.Service; s != nil {
		name, product, version, cpe = s.Name, s.Product, s.Version, strings.Join(s.CPE, " ")
		raw, err := json.Marshal(s)
		if err != nil { // a plugin's Detail that JSON cannot hold: keep the rest
			c := *s
			c.Detail = nil
			raw, _ = json.Marshal(&c)
		}
		js = string(raw)
	}
	host := r.Host.String()
	q := queued{kind: qPort, row: []any{nil, nil, host, r.Hostname, r.Proto.String(), int64(r.Port), r.State.String(),
		string(r.Reason), r.RTT.Microseconds(), name, product, version, cpe, js}}
	if r.State == record.Open {
		q.counts.open++
	}
	for i, f := range r.Findings {
		raw, _ := json.Marshal(&f) // plain fields: cannot fail
		q.findings = append(q.findings, []any{nil, host, r.Proto.String(), int64(r.Port), f.ID, string(f.Category),
			f.Severity.String(), f.Title, int64(i), string(raw)})
		q.counts.findings++
	}
	return q
}

func socketRow(s *record.Socket) queued {
	peer := ""
	if s.Peer.IsValid() {
		peer = s.Peer.String()
	}
	holders, _ := json.Marshal(s.Holders) // ints and strings: cannot fail
	v6only := 0
	if s.V6Only {
		v6only = 1
	}
	q := queued{kind: qSocket, row: []any{nil, nil, s.Proto.String(), s.Local.Addr().String(), int64(s.Local.Port()), peer,
		s.State.String(), int64(s.Inode), int64(s.UID), s.User, int64(s.PID), s.Process, s.Cmdline, s.Device, v6only,
		s.Exposure.String(), strings.Join(s.Interfaces, ","), string(holders)}}
	q.counts.sockets++
	return q
}

// add moves a queued record, numbered seq, to the batch.
func (b *batch) add(seq int64, q *queued) {
	q.row[1] = seq
	switch q.kind {
	case qHost:
		b.hosts = append(b.hosts, q.row)
	case qPort:
		b.ports = append(b.ports, q.row)
		b.findings = append(b.findings, q.findings...)
	case qSocket:
		b.sockets = append(b.sockets, q.row)
	}
	b.rows += 1 + len(q.findings)
	c := &b.counts
	c.hosts, c.up, c.open, c.findings, c.sockets = c.hosts+q.counts.hosts, c.up+q.counts.up, c.open+q.counts.open,
		c.findings+q.counts.findings, c.sockets+q.counts.sockets
}

func (b *batch) addRange(seq int64, a netip.Addr, k rangeKey, ports *portSet) {
	b.ranges = append(b.ranges, []any{nil, seq, a.String(), k.proto.String(), k.state.String(), string(k.reason), ports.format()})
	b.rows++
}

// rangeKey groups a host's non-open ports.
type rangeKey struct {
	proto  record.Proto
	state  record.State
	reason record.Reason
}

// closedPorts are a host's non-open ports, by protocol, state and reason.
type closedPorts struct {
	m map[rangeKey]*portSet
	n int // ports added
	// lastKey and last are the group the last port went to: most of a
	// host's ports are in one state, for one reason.
	lastKey rangeKey
	last    *portSet
}

// closedPort is a non-open port as Write queues it: no pointers (the
// garbage collector does not look into a chunk of them), its reason an
// index in reasons.
type closedPort struct {
	addr   [16]byte
	port   uint16
	proto  record.Proto
	state  record.State
	reason uint8
	is4    bool
}

// reasons are the reasons a closedPort can name; a port given another
// (or an address with a zone) is queued as a record of its own.
var reasons = []record.Reason{"", record.ReasonReset, record.ReasonConnRefused, record.ReasonNoResponse,
	record.ReasonHostUnreach, record.ReasonNetUnreach, record.ReasonPortUnreach, record.ReasonProtoUnreach,
	record.ReasonAdminProhibited, record.ReasonSynAck, record.ReasonConnected, record.ReasonUDPResponse}

// closedPortOf is r as a closedPort, or false when it cannot be one.
func closedPortOf(r *record.PortResult) (closedPort, bool) {
	i := slices.Index(reasons, r.Reason)
	if i < 0 || r.Host.Zone() != "" || !r.Host.IsValid() {
		return closedPort{}, false
	}
	return closedPort{addr: r.Host.As16(), port: r.Port, proto: r.Proto, state: r.State, reason: uint8(i), is4: r.Host.Is4()}, true
}

func (p *closedPort) host() netip.Addr {
	a := netip.AddrFrom16(p.addr)
	if p.is4 {
		return a.Unmap()
	}
	return a
}

func (c *closedPorts) add(p *closedPort) {
	k := rangeKey{p.proto, p.state, reasons[p.reason]}
	if c.last == nil || c.lastKey != k {
		if c.m == nil {
			c.m = map[rangeKey]*portSet{}
		}
		if c.last = c.m[k]; c.last == nil {
			c.last = new(portSet)
			c.m[k] = c.last
		}
		c.lastKey = k
	}
	c.last.add(p.port)
	c.n++
}

// maxRowsPerInsert bounds the rows of one INSERT (and its parameters).
const maxRowsPerInsert = 64

// stmtCache keeps the store's prepared INSERTs: a batch's inserts are a
// few shapes (a table, a number of rows), parsed once each rather than at
// every statement.
type stmtCache struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func (c *stmtCache) get(ctx context.Context, db *sql.DB, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.m[query]; st != nil {
		return st, nil
	}
	st, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[query] = st
	return st, nil
}

func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for _, st := range c.m {
		errs = append(errs, st.Close())
	}
	c.m = nil
	return errors.Join(errs...)
}

// writeBatch commits b for run id in one transaction.
func (s *Store) writeBatch(ctx context.Context, id int64, b *batch) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("recording the run: %w", err)
	}
	defer tx.Rollback()
	for _, t := range []struct {
		name string
		cols []string
		rows [][]any
	}{{"hosts", hostCols, b.hosts}, {"ports", portCols, b.ports}, {"port_ranges", rangeCols, b.ranges},
		{"findings", findingCols, b.findings}, {"sockets", socketCols, b.sockets}} {
		if err := s.insertRows(ctx, tx, id, t.name, t.cols, t.rows); err != nil {
			return fmt.Errorf("recording the run: %s: %w", t.name, err)
		}
	}
	c := b.counts
	if c != (counts{}) {
		_, err := tx.ExecContext(ctx, s.q(`UPDATE runs SET hosts = hosts + ?, hosts_up = hosts_up + ?,
			open_ports = open_ports + ?, findings = findings + ?, sockets = sockets + ? WHERE id = ?`),
			c.hosts, c.up, c.open, c.findings, c.sockets, id)
		if err != nil {
			return fmt.Errorf("recording the run: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("recording the run: %w", err)
	}
	return nil
}

// insertRows inserts rows into table, several a statement; each row's
// first value (the run id) is set to id.
func (s *Store) insertRows(ctx context.Context, tx *sql.Tx, id int64, table string, cols []string, rows [][]any) error {
	args := make([]any, 0, min(len(rows), maxRowsPerInsert)*len(cols))
	for len(rows) > 0 {
		n := min(len(rows), maxRowsPerInsert)
		st, err := s.stmts.get(ctx, s.db, s.q(insertQuery(table, cols, n)))
		if err != nil {
			return err
		}
		args = args[:0]
		for _, r := range rows[:n] {
			r[0] = id
			args = append(args, r...)
		}
		if _, err := tx.StmtContext(ctx, st).ExecContext(ctx, args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// insertQuery is the INSERT of n rows into table.
func insertQuery(table string, cols []string, n int) string {
	var q strings.Builder
	q.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
	one := "(" + strings.Repeat("?, ", len(cols)-1) + "?)"
	for i := range n {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(one)
	}
	return q.String()
}

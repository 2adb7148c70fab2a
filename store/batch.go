package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"

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

// The rows leave the run's id out (nil): writeBatch sets it.

func (b *batch) addHost(seq int64, h *record.Host) {
	b.hosts = append(b.hosts, []any{nil, seq, h.Addr.String(), h.Name, h.State.String(), string(h.Reason), h.RTT.Microseconds(), h.MAC.String()})
	b.rows++
	b.counts.hosts++
	if h.State == record.Up {
		b.counts.up++
	}
}

func (b *batch) addPort(seq int64, r *record.PortResult) {
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
	b.ports = append(b.ports, []any{nil, seq, host, r.Hostname, r.Proto.String(), int64(r.Port), r.State.String(),
		string(r.Reason), r.RTT.Microseconds(), name, product, version, cpe, js})
	b.rows++
	if r.State == record.Open {
		b.counts.open++
	}
	for i, f := range r.Findings {
		raw, _ := json.Marshal(&f) // plain fields: cannot fail
		b.findings = append(b.findings, []any{nil, host, r.Proto.String(), int64(r.Port), f.ID, string(f.Category),
			f.Severity.String(), f.Title, int64(i), string(raw)})
		b.rows++
		b.counts.findings++
	}
}

func (b *batch) addRange(seq int64, a netip.Addr, k rangeKey, ports []uint16) {
	b.ranges = append(b.ranges, []any{nil, seq, a.String(), k.proto.String(), k.state.String(), string(k.reason), formatRanges(ports)})
	b.rows++
}

func (b *batch) addSocket(seq int64, s *record.Socket) {
	peer := ""
	if s.Peer.IsValid() {
		peer = s.Peer.String()
	}
	holders, _ := json.Marshal(s.Holders) // ints and strings: cannot fail
	v6only := 0
	if s.V6Only {
		v6only = 1
	}
	b.sockets = append(b.sockets, []any{nil, seq, s.Proto.String(), s.Local.Addr().String(), int64(s.Local.Port()), peer,
		s.State.String(), int64(s.Inode), int64(s.UID), s.User, int64(s.PID), s.Process, s.Cmdline, s.Device, v6only,
		s.Exposure.String(), strings.Join(s.Interfaces, ","), string(holders)})
	b.rows++
	b.counts.sockets++
}

// rangeKey groups a host's non-open ports.
type rangeKey struct {
	proto  record.Proto
	state  record.State
	reason record.Reason
}

// closedPorts are a host's non-open ports, by protocol, state and reason.
type closedPorts struct {
	m map[rangeKey]*[]uint16
	// lastKey and last are the group the last port went to: most of a
	// host's ports are in one state, for one reason.
	lastKey rangeKey
	last    *[]uint16
}

func (c *closedPorts) add(r *record.PortResult) {
	k := rangeKey{r.Proto, r.State, r.Reason}
	if c.last == nil || c.lastKey != k {
		if c.m == nil {
			c.m = map[rangeKey]*[]uint16{}
		}
		if c.last = c.m[k]; c.last == nil {
			c.last = new([]uint16)
			c.m[k] = c.last
		}
		c.lastKey = k
	}
	*c.last = append(*c.last, r.Port)
}

// maxRowsPerInsert bounds the rows of one INSERT (and its parameters).
const maxRowsPerInsert = 64

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
	for len(rows) > 0 {
		n := min(len(rows), maxRowsPerInsert)
		var q strings.Builder
		q.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
		one := "(" + strings.Repeat("?, ", len(cols)-1) + "?)"
		args := make([]any, 0, n*len(cols))
		for i, r := range rows[:n] {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString(one)
			r[0] = id
			args = append(args, r...)
		}
		if _, err := tx.ExecContext(ctx, s.q(q.String()), args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

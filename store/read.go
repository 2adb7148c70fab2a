package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/ajarsec/ajar/record"
)

// item is one stored record, or one range of ports, in the order the run
// wrote it.
type item struct {
	seq int64
	rec record.Record
	rng *storedRange
}

type storedRange struct {
	addr   netip.Addr
	proto  record.Proto
	state  record.State
	reason record.Reason
	ports  string
}

// Records calls fn with each record of run id in the order the run wrote
// them: hosts, ports (a range of non-open ports comes as one PortResult a
// port, just before its host) and sockets. It stops at fn's first error.
func (s *Store) Records(ctx context.Context, id int64, fn func(record.Record) error) error {
	items, err := s.items(ctx, id)
	if err != nil {
		return fmt.Errorf("reading run %d: %w", id, err)
	}
	for _, it := range items {
		if it.rng == nil {
			if err := fn(it.rec); err != nil {
				return err
			}
			continue
		}
		r := it.rng
		var ferr error
		perr := parseRanges(r.ports, func(p uint16) {
			if ferr == nil {
				ferr = fn(&record.PortResult{Host: r.addr, Port: p, Proto: r.proto, State: r.state, Reason: r.reason})
			}
		})
		if ferr != nil {
			return ferr
		}
		if perr != nil {
			return fmt.Errorf("reading run %d: %w", id, perr)
		}
	}
	return nil
}

func (s *Store) items(ctx context.Context, id int64) ([]item, error) {
	var items []item
	findings, err := s.findings(ctx, id)
	if err != nil {
		return nil, err
	}
	for _, load := range []func(context.Context, int64, map[portKey][]record.Finding, *[]item) error{
		s.loadHosts, s.loadPorts, s.loadRanges, s.loadSockets,
	} {
		if err := load(ctx, id, findings, &items); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(items, func(a, b item) int { return int(a.seq - b.seq) })
	return items, nil
}

type portKey struct {
	addr  string
	proto string
	port  int64
}

// query runs a query of one run's rows, calling fn with each.
func (s *Store) query(ctx context.Context, q string, id int64, fn func(*sql.Rows) error) error {
	rows, err := s.db.QueryContext(ctx, s.q(q), id)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (s *Store) findings(ctx context.Context, id int64) (map[portKey][]record.Finding, error) {
	out := map[portKey][]record.Finding{}
	type seqd struct {
		seq int64
		f   record.Finding
	}
	all := map[portKey][]seqd{}
	err := s.query(ctx, `SELECT addr, proto, port, seq, finding_json FROM findings WHERE run_id = ?`, id, func(rows *sql.Rows) error {
		var k portKey
		var f seqd
		var raw string
		if err := rows.Scan(&k.addr, &k.proto, &k.port, &f.seq, &raw); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(raw), &f.f); err != nil {
			return fmt.Errorf("finding of %s/%s: %w", k.addr, k.proto, err)
		}
		all[k] = append(all[k], f)
		return nil
	})
	for k, fs := range all {
		slices.SortFunc(fs, func(a, b seqd) int { return int(a.seq - b.seq) })
		for _, f := range fs {
			out[k] = append(out[k], f.f)
		}
	}
	return out, err
}

func (s *Store) loadHosts(ctx context.Context, id int64, _ map[portKey][]record.Finding, items *[]item) error {
	return s.query(ctx, `SELECT seq, addr, name, state, reason, rtt_us, mac FROM hosts WHERE run_id = ?`, id, func(rows *sql.Rows) error {
		var seq, rtt int64
		var addr, state, mac string
		h := &record.Host{}
		if err := rows.Scan(&seq, &addr, &h.Name, &state, &h.Reason, &rtt, &mac); err != nil {
			return err
		}
		var err error
		if h.Addr, err = netip.ParseAddr(addr); err != nil {
			return err
		}
		h.State.UnmarshalText([]byte(state))
		h.MAC.UnmarshalText([]byte(mac))
		h.RTT = time.Duration(rtt) * time.Microsecond
		*items = append(*items, item{seq: seq, rec: h})
		return nil
	})
}

func (s *Store) loadPorts(ctx context.Context, id int64, findings map[portKey][]record.Finding, items *[]item) error {
	return s.query(ctx, `SELECT seq, addr, hostname, proto, port, state, reason, rtt_us, service_json FROM ports WHERE run_id = ?`,
		id, func(rows *sql.Rows) error {
			var seq, rtt int64
			var k portKey
			var state, svc string
			p := &record.PortResult{}
			if err := rows.Scan(&seq, &k.addr, &p.Hostname, &k.proto, &k.port, &state, &p.Reason, &rtt, &svc); err != nil {
				return err
			}
			var err error
			if p.Host, err = netip.ParseAddr(k.addr); err != nil {
				return err
			}
			if err := p.Proto.UnmarshalText([]byte(k.proto)); err != nil {
				return err
			}
			p.Port = uint16(k.port)
			p.State.UnmarshalText([]byte(state))
			p.RTT = time.Duration(rtt) * time.Microsecond
			if svc != "" {
				p.Service = &record.Service{}
				if err := json.Unmarshal([]byte(svc), p.Service); err != nil {
					return fmt.Errorf("service of %s/%s: %w", k.addr, k.proto, err)
				}
			}
			p.Findings = findings[k]
			*items = append(*items, item{seq: seq, rec: p})
			return nil
		})
}

func (s *Store) loadRanges(ctx context.Context, id int64, _ map[portKey][]record.Finding, items *[]item) error {
	return s.query(ctx, `SELECT seq, addr, proto, state, reason, ports FROM port_ranges WHERE run_id = ?`, id, func(rows *sql.Rows) error {
		var seq int64
		var addr, proto, state string
		r := &storedRange{}
		if err := rows.Scan(&seq, &addr, &proto, &state, &r.reason, &r.ports); err != nil {
			return err
		}
		var err error
		if r.addr, err = netip.ParseAddr(addr); err != nil {
			return err
		}
		if err := r.proto.UnmarshalText([]byte(proto)); err != nil {
			return err
		}
		r.state.UnmarshalText([]byte(state))
		*items = append(*items, item{seq: seq, rng: r})
		return nil
	})
}

func (s *Store) loadSockets(ctx context.Context, id int64, _ map[portKey][]record.Finding, items *[]item) error {
	return s.query(ctx, `SELECT seq, proto, local_addr, local_port, peer, state, inode, uid, username, pid, process, cmdline,
		device, v6only, exposure, interfaces, holders FROM sockets WHERE run_id = ?`, id, func(rows *sql.Rows) error {
		var seq, port, inode, uid, pid, v6only int64
		var proto, addr, peer, state, exposure, ifaces, holders string
		so := &record.Socket{}
		if err := rows.Scan(&seq, &proto, &addr, &port, &peer, &state, &inode, &uid, &so.User, &pid, &so.Process,
			&so.Cmdline, &so.Device, &v6only, &exposure, &ifaces, &holders); err != nil {
			return err
		}
		a, err := netip.ParseAddr(addr)
		if err != nil {
			return err
		}
		so.Local = netip.AddrPortFrom(a, uint16(port))
		if peer != "" {
			if so.Peer, err = netip.ParseAddrPort(peer); err != nil {
				return err
			}
		}
		if err := so.Proto.UnmarshalText([]byte(proto)); err != nil {
			return err
		}
		so.State.UnmarshalText([]byte(state))
		so.Exposure.UnmarshalText([]byte(exposure))
		so.Inode, so.UID, so.PID, so.V6Only = uint64(inode), uint32(uid), int(pid), v6only != 0
		if ifaces != "" {
			so.Interfaces = strings.Split(ifaces, ",")
		}
		if err := json.Unmarshal([]byte(holders), &so.Holders); err != nil {
			return fmt.Errorf("holders: %w", err)
		}
		*items = append(*items, item{seq: seq, rec: so})
		return nil
	})
}

package report

import (
	"bufio"
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/ajarsec/ajar/record"
)

func init() {
	register(FormatSpec{
		Name:        CSV,
		Description: "a header, then a row a record as it comes (probe order); hosts' rows have no port",
		Kinds:       []string{"port", "host", "socket"},
		Sockets:     func(w *bufio.Writer, ss []record.Socket, _ Style) error { return socketsCSV(w, ss) },
		New: func(w io.Writer, opts Options) Writer {
			o := newOut(w)
			return &csvWriter{o: o, cw: csv.NewWriter(o), all: opts.AllPorts, hosts: newOpenFilter(opts), findings: opts.Findings}
		},
	})
}

// The columns of a port scan: a port's row fills the first ten, a host's
// row host, hostname, state (up, down), reason, rtt_ms and mac. Columns
// are only ever added at the end.
var resultCSVHeader = []string{"host", "hostname", "port", "proto", "state", "reason", "rtt_ms",
	"service", "product", "version", "mac"}

// The columns of a ping sweep: a row a host.
var hostCSVHeader = []string{"host", "hostname", "status", "reason", "rtt_ms", "mac"}

// csvWriter writes a header, then a row per record, with the JSON fields;
// the service column holds the service's name.
type csvWriter struct {
	o     *out
	cw    *csv.Writer
	all   bool
	ping  bool
	begun bool
	ended bool
	rec   []string
	hosts openFilter
	// findings: a row per audit finding (Options.Findings).
	findings bool
}

func (c *csvWriter) Begin(ri RunInfo) error {
	if c.o.err != nil || c.begun {
		return c.o.err
	}
	c.begun = true
	c.ping = ri.PingOnly
	head := resultCSVHeader
	switch {
	case c.findings:
		head = findingCSVHeader
	case c.ping:
		head = hostCSVHeader
	}
	c.rec = make([]string, len(head))
	return c.o.keep(c.cw.Write(head))
}

func (c *csvWriter) Write(r record.Record) error {
	if err := c.Begin(RunInfo{}); err != nil {
		return err
	}
	clear(c.rec)
	if c.findings {
		return c.findingRows(r)
	}
	switch r := r.(type) {
	case *record.PortResult:
		c.hosts.port(r)
		if !c.all && !listed(r.State) {
			return nil
		}
		c.port(r)
	case *record.Host:
		if !c.hosts.keep(r) {
			return nil
		}
		c.host(r)
	default:
		return nil
	}
	if err := c.cw.Write(c.rec); err != nil {
		return c.o.keep(err)
	}
	return nil
}

func (c *csvWriter) port(r *record.PortResult) {
	rec := c.rec
	rec[0] = r.Host.String()
	rec[1] = r.Hostname
	rec[2] = strconv.Itoa(int(r.Port))
	rec[3] = r.Proto.String()
	rec[4] = r.State.String()
	rec[5] = string(r.Reason)
	rec[6] = csvRTT(r.RTT)
	if s := r.Service; s != nil {
		rec[7], rec[8], rec[9] = s.Name, s.Product, s.Version
	}
}

func (c *csvWriter) host(h *record.Host) {
	rec := c.rec
	rec[0] = h.Addr.String()
	rec[1] = h.Name
	if c.ping {
		rec[2], rec[3], rec[4], rec[5] = h.State.String(), string(h.Reason), csvRTT(h.RTT), h.MAC.String()
		return
	}
	rec[4], rec[5], rec[6], rec[10] = h.State.String(), string(h.Reason), csvRTT(h.RTT), h.MAC.String()
}

// csvRTT is a round-trip time in milliseconds, or empty when there is
// none.
func csvRTT(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return strconv.FormatFloat(rttMillis(d), 'f', -1, 64)
}

func (c *csvWriter) End(RunStats) error {
	if err := c.Begin(RunInfo{}); err != nil || c.ended {
		return err
	}
	c.ended = true
	c.cw.Flush()
	if err := c.cw.Error(); err != nil {
		return c.o.keep(err)
	}
	return c.o.flush()
}

func socketsCSV(w *bufio.Writer, ss []record.Socket) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(socketCSVHeader); err != nil {
		return err
	}
	rec := make([]string, len(socketCSVHeader))
	for i := range ss {
		s := &ss[i]
		rec[0] = s.Proto.String()
		rec[1] = s.Local.Addr().String()
		rec[2] = strconv.Itoa(int(s.Local.Port()))
		rec[3] = s.State.String()
		rec[4] = ""
		if s.PID > 0 {
			rec[4] = strconv.Itoa(s.PID)
		}
		rec[5] = s.Process
		rec[6] = s.User
		rec[7] = s.Exposure.String()
		rec[8] = strings.Join(s.Interfaces, ";")
		rec[9] = s.Cmdline
		rec[10] = ""
		if s.Peer.IsValid() {
			rec[10] = s.Peer.String()
		}
		rec[11] = strconv.FormatBool(s.DualStack())
		rec[12] = s.Device
		rec[13] = strconv.FormatUint(s.Inode, 10)
		rec[14] = holderPIDs(s, ";")
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

package report

import (
	"bufio"
	"io"
	"strconv"
	"time"

	"github.com/ajarsec/ajar/record"
)

func init() {
	kinds := []string{"port", "host", "socket", "violation"}
	register(FormatSpec{
		Name:        JSON,
		Description: "one JSON array of the records, in the order they come (probe order)",
		Kinds:       kinds,
		Sockets:     func(w *bufio.Writer, ss []record.Socket, _ Style) error { return socketsJSON(w, ss, true) },
		New:         func(w io.Writer, opts Options) Writer { return newJSONWriter(w, opts, true) },
	})
	register(FormatSpec{
		Name:        JSONL,
		Description: "JSON Lines: one object a record, written as it comes (probe order); open ports and hosts are flushed at once",
		Kinds:       kinds,
		Sockets:     func(w *bufio.Writer, ss []record.Socket, _ Style) error { return socketsJSON(w, ss, false) },
		New:         func(w io.Writer, opts Options) Writer { return newJSONWriter(w, opts, false) },
	})
}

// jsonWriter writes JSON Lines, or, with array, one JSON array closed at
// End. A line of JSON Lines is flushed at once when it says something:
// an open port, a host, a violation. The closed and filtered ports that
// AllPorts adds wait in the buffer for the next of those (a host's
// record comes once its ports are done), for a full buffer or for End:
// a full scan writes its 65,535 lines a buffer at a time, not a system
// call each, and only whole lines. A port is an object with the fields of
// appendResultJSON, a host one with those of appendHostJSON: a port has
// "port", a host "status".
type jsonWriter struct {
	o     *out
	all   bool
	array bool
	n     int
	ended bool
	buf   jsonBuf
	hosts openFilter
}

func newJSONWriter(w io.Writer, opts Options, array bool) *jsonWriter {
	return &jsonWriter{o: newOut(w), all: opts.AllPorts, array: array, hosts: newOpenFilter(opts)}
}

func (j *jsonWriter) Begin(RunInfo) error { return j.o.err }

// Write writes every host, and every open port (every port with
// AllPorts).
func (j *jsonWriter) Write(r record.Record) error {
	if j.o.err != nil {
		return j.o.err
	}
	switch r := r.(type) {
	case *record.PortResult:
		j.hosts.port(r)
		if !j.all && !listed(r.State) {
			return nil
		}
		return j.writeItem(func(b jsonBuf) jsonBuf { return appendResultJSON(b, r) }, listed(r.State))
	case *record.Host:
		if !j.hosts.keep(r) {
			return nil
		}
		return j.writeItem(func(b jsonBuf) jsonBuf { return appendHostJSON(b, r) }, true)
	case *record.Violation:
		return j.writeItem(func(b jsonBuf) jsonBuf { return appendViolationJSON(b, r) }, true)
	}
	return nil
}

// writeItem writes the item that add appends to a buffer: a line of
// JSON Lines, flushed at once when flush is set, or, with array, the
// next item of the array that End closes.
func (j *jsonWriter) writeItem(add func(jsonBuf) jsonBuf, flush bool) error {
	b := j.buf[:0]
	if j.array {
		if j.n == 0 {
			b = append(b, "[\n  "...)
		} else {
			b = append(b, ",\n  "...)
		}
	}
	b = add(b)
	if !j.array {
		b = append(b, '\n')
	}
	j.buf = b
	j.n++
	if !j.array && len(b) > j.o.Available() && j.o.Buffered() > 0 {
		// Whole lines reach the file: one killed mid-scan ends with
		// the last line it wrote, not part of it.
		if err := j.o.flush(); err != nil {
			return err
		}
	}
	if _, err := j.o.Write(b); err != nil {
		return j.o.keep(err)
	}
	if j.array || !flush {
		return nil
	}
	return j.o.flush()
}

func (j *jsonWriter) End(RunStats) error {
	if j.o.err != nil || j.ended {
		return j.o.err
	}
	j.ended = true
	if j.array {
		if j.n == 0 {
			j.o.WriteString("[]\n")
		} else {
			j.o.WriteString("\n]\n")
		}
	}
	return j.o.flush()
}

// appendResultJSON writes one result as a JSON object. Its field names are
// a stable interface: host, hostname, port, proto, state, reason, rtt_ms,
// service, and findings when the audit found some. service is null or an object with the field names of
// record.Service; its banner holds the characters the service sent (see
// jsonBuf.banner).
func appendResultJSON(b jsonBuf, r *record.PortResult) jsonBuf {
	b = append(b, '{')
	b = b.key("host").addr(r.Host)
	b = b.key("hostname").strOrNull(r.Hostname)
	b = b.key("port").uint(uint64(r.Port))
	b = b.key("proto").str(r.Proto.String())
	b = b.key("state").str(r.State.String())
	b = b.key("reason").strOrNull(string(r.Reason))
	b = b.key("rtt_ms").rtt(r.RTT)
	b = b.key("service")
	if s := r.Service; s != nil {
		b = append(b, '{')
		b = b.key("name").str(s.Name)
		b = b.optStr("product", s.Product).optStr("version", s.Version).optStr("extrainfo", s.ExtraInfo)
		if len(s.CPE) > 0 {
			b = b.key("cpe").strs(s.CPE)
		}
		b = b.key("confidence")
		b = strconv.AppendInt(b, int64(s.Confidence), 10)
		b = b.key("method").str(s.Method)
		if s.Banner != "" {
			b = b.key("banner").banner(s.Banner)
		}
		b = b.optStr("tunnel", s.Tunnel)
		if s.TLS != nil {
			b = b.key("tls").tls(s.TLS)
		}
		b = append(b, '}')
	} else {
		b = append(b, "null"...)
	}
	if len(r.Findings) > 0 {
		b = b.key("findings").findings(r.Findings)
	}
	return append(b, '}')
}

// appendHostJSON writes a host as a JSON object with the stable fields
// host, hostname, status, reason, rtt_ms and mac.
func appendHostJSON(b jsonBuf, h *record.Host) jsonBuf {
	b = append(b, '{')
	b = b.key("host").addr(h.Addr)
	b = b.key("hostname").strOrNull(h.Name)
	b = b.key("status").str(h.State.String())
	b = b.key("reason").strOrNull(string(h.Reason))
	b = b.key("rtt_ms").rtt(h.RTT)
	b = b.key("mac").strOrNull(h.MAC.String())
	if h.Unprobed > 0 {
		b = b.key("timed_out").str(h.TimedOut.String())
		b = b.key("unprobed").uint(h.Unprobed)
	}
	return append(b, '}')
}

// rtt writes a round-trip time in milliseconds, or null when there is
// none.
func (b jsonBuf) rtt(d time.Duration) jsonBuf {
	if d <= 0 {
		return append(b, "null"...)
	}
	return strconv.AppendFloat(b, rttMillis(d), 'f', -1, 64)
}

// rttMillis is d in milliseconds, to the microsecond.
func rttMillis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (b jsonBuf) optStr(k, v string) jsonBuf {
	if v == "" {
		return b
	}
	return b.key(k).str(v)
}

// tls writes a TLS description with the field names of record.TLS.
func (b jsonBuf) tls(t *record.TLS) jsonBuf {
	b = append(b, '{')
	b = b.key("version").str(t.Version)
	b = b.key("cipher_suite").str(t.CipherSuite)
	b = b.optStr("alpn", t.ALPN).optStr("starttls", t.StartTLS)
	b = b.key("ja3s").str(t.JA3S)
	b = b.key("ja3s_string").str(t.JA3SString)
	if c := t.Cert; c != nil {
		b = b.key("certificate")
		b = append(b, '{')
		b = b.key("subject").str(c.Subject)
		if len(c.SANs) > 0 {
			b = b.key("sans").strs(c.SANs)
		}
		b = b.key("issuer").str(c.Issuer)
		b = b.key("not_before").str(c.NotBefore.UTC().Format(time.RFC3339))
		b = b.key("not_after").str(c.NotAfter.UTC().Format(time.RFC3339))
		b = b.key("self_signed").bool(c.SelfSigned)
		b = b.key("expired").bool(c.Expired)
		b = b.key("key_type").str(c.KeyType)
		b = b.key("key_bits").uint(uint64(max(c.KeyBits, 0)))
		b = b.key("sha256").str(c.SHA256)
		b = append(b, '}')
	}
	return append(b, '}')
}

func socketsJSON(w *bufio.Writer, ss []record.Socket, array bool) error {
	b := make(jsonBuf, 0, 1024)
	if array {
		if len(ss) == 0 {
			_, err := w.WriteString("[]\n")
			return err
		}
		w.WriteString("[\n")
	}
	for i := range ss {
		b = b[:0]
		if array {
			b = append(b, ' ', ' ')
		}
		b = appendSocketJSON(b, &ss[i])
		if array && i < len(ss)-1 {
			b = append(b, ',')
		}
		b = append(b, '\n')
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	if array {
		_, err := w.WriteString("]\n")
		return err
	}
	return nil
}

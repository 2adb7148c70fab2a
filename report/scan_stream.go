package report

import (
	"bufio"
	"encoding/csv"
	"strconv"
	"time"

	"github.com/ajarsec/ajar/record"
)

// appendResultJSON writes one result as a JSON object. Its field names are
// a stable interface: host, hostname, port, proto, state, reason, rtt_ms,
// service. service is null or an object with the field names of
// record.Service.
func appendResultJSON(b jsonBuf, r *record.PortResult) jsonBuf {
	b = append(b, '{')
	b = b.key("host").addr(r.Host)
	b = b.key("hostname").strOrNull(r.Hostname)
	b = b.key("port").uint(uint64(r.Port))
	b = b.key("proto").str(r.Proto.String())
	b = b.key("state").str(r.State.String())
	b = b.key("reason").strOrNull(string(r.Reason))
	b = b.key("rtt_ms")
	if r.RTT > 0 {
		b = strconv.AppendFloat(b, rttMillis(r.RTT), 'f', -1, 64)
	} else {
		b = append(b, "null"...)
	}
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
		b = b.optStr("banner", s.Banner).optStr("tunnel", s.Tunnel)
		if s.TLS != nil {
			b = b.key("tls").tls(s.TLS)
		}
		b = append(b, '}')
	} else {
		b = append(b, "null"...)
	}
	return append(b, '}')
}

// rttMillis is d in milliseconds, to the microsecond.
func rttMillis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (b jsonBuf) optStr(k, v string) jsonBuf {
	if v == "" {
		return b
	}
	return b.key(k).str(v)
}

// jsonWriter writes JSON Lines, flushing each line, or, with array, one
// JSON array closed at End.
type jsonWriter struct {
	w     *bufio.Writer
	all   bool
	array bool
	n     int
	buf   jsonBuf
}

func (j *jsonWriter) Begin(RunInfo) error { return nil }

func (j *jsonWriter) Write(r *record.PortResult) error {
	if !j.all && !listed(r.State) {
		return nil
	}
	return j.writeItem(func(b jsonBuf) jsonBuf { return appendResultJSON(b, r) })
}

// writeItem writes the item that add appends to a buffer: a line of
// JSON Lines, flushed at once, or, with array, the next item of the
// array that End closes.
func (j *jsonWriter) writeItem(add func(jsonBuf) jsonBuf) error {
	b := j.buf[:0]
	if j.array {
		b = arrayItem(b, j.n == 0)
	}
	b = add(b)
	if !j.array {
		b = append(b, '\n')
	}
	j.buf = b
	j.n++
	if _, err := j.w.Write(b); err != nil {
		return err
	}
	if j.array {
		return nil
	}
	return j.w.Flush()
}

// arrayItem starts an item of a JSON array written one item at a time.
func arrayItem(b jsonBuf, first bool) jsonBuf {
	if first {
		return append(b, "[\n  "...)
	}
	return append(b, ",\n  "...)
}

func (j *jsonWriter) End(RunStats) error {
	if j.array {
		if j.n == 0 {
			j.w.WriteString("[]\n")
		} else {
			j.w.WriteString("\n]\n")
		}
	}
	return j.w.Flush()
}

var resultCSVHeader = []string{"host", "hostname", "port", "proto", "state", "reason", "rtt_ms", "service"}

// csvWriter writes a header, then a row per result, with the JSON fields;
// the service column holds the service's name.
type csvWriter struct {
	w     *bufio.Writer
	cw    *csv.Writer
	all   bool
	begun bool
	rec   []string
}

func newCSVWriter(w *bufio.Writer, all bool) *csvWriter {
	return &csvWriter{w: w, cw: csv.NewWriter(w), all: all, rec: make([]string, len(resultCSVHeader))}
}

func (c *csvWriter) Begin(RunInfo) error {
	if c.begun {
		return nil
	}
	c.begun = true
	return c.cw.Write(resultCSVHeader)
}

func (c *csvWriter) Write(r *record.PortResult) error {
	if !c.all && !listed(r.State) {
		return nil
	}
	if err := c.Begin(RunInfo{}); err != nil {
		return err
	}
	rec := c.rec
	rec[0] = r.Host.String()
	rec[1] = r.Hostname
	rec[2] = strconv.Itoa(int(r.Port))
	rec[3] = r.Proto.String()
	rec[4] = r.State.String()
	rec[5] = string(r.Reason)
	rec[6] = ""
	if r.RTT > 0 {
		rec[6] = strconv.FormatFloat(rttMillis(r.RTT), 'f', -1, 64)
	}
	rec[7] = ""
	if r.Service != nil {
		rec[7] = r.Service.Name
	}
	return c.cw.Write(rec)
}

func (c *csvWriter) End(RunStats) error {
	if err := c.Begin(RunInfo{}); err != nil {
		return err
	}
	c.cw.Flush()
	if err := c.cw.Error(); err != nil {
		return err
	}
	return c.w.Flush()
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

package http

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
)

// Limits on what a response may cost, whatever the server sends.
const (
	// headMax is the longest response head read.
	headMax = 16 << 10
	// maxFields is the most header fields kept.
	maxFields = 128
	// unzipMax bounds a gzip body once decompressed.
	unzipMax = 256 << 10
	// maxInterim is the most 1xx responses skipped before the final one.
	maxInterim = 4
)

// Field is one header field, as the server spelled it.
type Field struct{ Name, Value string }

// Header is a response's header fields in the order they came.
type Header []Field

// Get returns the value of the first field named name (case-insensitive),
// or "".
func (h Header) Get(name string) string {
	for _, f := range h {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// Has reports whether a field named name is present.
func (h Header) Has(name string) bool {
	for _, f := range h {
		if strings.EqualFold(f.Name, name) {
			return true
		}
	}
	return false
}

// Values returns the values of every field named name.
func (h Header) Values(name string) []string {
	var out []string
	for _, f := range h {
		if strings.EqualFold(f.Name, name) {
			out = append(out, f.Value)
		}
	}
	return out
}

// Response is one HTTP/1.x response as read off the wire: its status
// line, its header fields and as much of its body as was read.
type Response struct {
	// Proto is the version of the status line: "HTTP/1.1".
	Proto  string
	Status int
	Reason string
	Header Header
	// Body is the body read, with the chunked coding removed and a gzip
	// content coding undone (up to 256 KiB); it may be cut short.
	Body []byte
	// HeadDone says the head ended (the empty line arrived).
	HeadDone bool
	// Complete says the body was read to its end, as Content-Length, the
	// chunked coding or the status says.
	Complete bool
	// Close says the server ends the connection after this response: it
	// said so, speaks HTTP/1.0 without keep-alive, or delimits the body
	// by closing.
	Close bool
	// untilClose says the body runs to the connection's close.
	untilClose bool
}

// errNotHTTP is the ErrNoMatch of a reply that is no HTTP response.
var errNotHTTP = notHTTP("no HTTP status line")

func notHTTP(what string) error {
	return errors.Join(fingerprint.ErrNoMatch, errors.New(what))
}

// ParseResponse reads an HTTP/1.x response from the bytes a server sent,
// skipping interim (1xx) responses. It returns an error wrapping
// fingerprint.ErrNoMatch when the bytes do not start with an HTTP status
// line. A response cut short parses: HeadDone and Complete say how much
// of it arrived.
func ParseResponse(b []byte) (*Response, error) {
	return parse(b, true)
}

func parse(b []byte, decode bool) (*Response, error) {
	for i := 0; ; i++ {
		r, rest, err := parseOne(b, decode)
		if err != nil {
			return nil, err
		}
		if r.Status >= 200 || r.Status == 101 || !r.HeadDone || i == maxInterim {
			return r, nil
		}
		b = rest
		if len(b) == 0 {
			// The final response is still to come.
			r.Complete = false
			return r, nil
		}
	}
}

// parseOne parses one response and returns the bytes after its head, for
// an interim response.
func parseOne(b []byte, decode bool) (*Response, []byte, error) {
	line, rest, ok := cutLine(b)
	if !ok {
		line, rest = b, nil
	}
	r := &Response{}
	if err := r.parseStatus(line); err != nil {
		return nil, nil, err
	}
	body, done := r.parseFields(rest)
	r.HeadDone = done
	if !done {
		r.Close = true
		return r, nil, nil
	}
	r.frame(body, decode)
	return r, body, nil
}

// cutLine cuts the first line, ending in LF or CRLF.
func cutLine(b []byte) (line, rest []byte, ok bool) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return nil, nil, false
	}
	return bytes.TrimSuffix(b[:i], []byte("\r")), b[i+1:], true
}

// parseStatus reads "HTTP/1.1 200 OK".
func (r *Response) parseStatus(line []byte) error {
	if len(line) < len("HTTP/1.1 200") || !bytes.HasPrefix(line, []byte("HTTP/")) {
		return errNotHTTP
	}
	v := line[5:8]
	if !isDigit(v[0]) || v[1] != '.' || !isDigit(v[2]) || line[8] != ' ' {
		return notHTTP("bad HTTP version")
	}
	code := line[9:12]
	if !isDigit(code[0]) || !isDigit(code[1]) || !isDigit(code[2]) || code[0] == '0' {
		return notHTTP("bad status code")
	}
	if len(line) > 12 && line[12] != ' ' {
		return notHTTP("bad status line")
	}
	r.Proto = string(line[:8])
	r.Status = int(code[0]-'0')*100 + int(code[1]-'0')*10 + int(code[2]-'0')
	if len(line) > 13 {
		r.Reason = clean(string(line[13:]), 80)
	}
	return nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// parseFields reads header fields up to the empty line, and returns what
// follows it and whether it came.
func (r *Response) parseFields(b []byte) (body []byte, done bool) {
	for len(b) > 0 {
		line, rest, ok := cutLine(b)
		if !ok {
			return nil, false
		}
		b = rest
		if len(line) == 0 {
			return b, true
		}
		if (line[0] == ' ' || line[0] == '\t') && len(r.Header) > 0 {
			// An obsolete folded continuation of the previous field.
			last := &r.Header[len(r.Header)-1]
			last.Value = clean(last.Value+" "+string(bytes.TrimSpace(line)), 1024)
			continue
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || len(name) == 0 || !isToken(name) || len(r.Header) >= maxFields {
			continue
		}
		r.Header = append(r.Header, Field{string(name), clean(string(bytes.TrimSpace(value)), 1024)})
	}
	return nil, false
}

func isToken(b []byte) bool {
	for _, c := range b {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// frame finds the body's end (RFC 9112 section 6.3) and decodes it.
func (r *Response) frame(b []byte, decode bool) {
	conn := strings.ToLower(strings.Join(r.Header.Values("Connection"), ","))
	r.Close = hasToken(conn, "close") || (r.Proto == "HTTP/1.0" && !hasToken(conn, "keep-alive"))
	switch te := strings.ToLower(r.Header.Get("Transfer-Encoding")); {
	case r.Status < 200 || r.Status == 204 || r.Status == 304:
		r.Complete = true
	case te != "" && strings.HasSuffix(strings.TrimSpace(te), "chunked"):
		r.Body, r.Complete = dechunk(b)
	case te != "":
		r.Body, r.Close, r.untilClose = b, true, true
	default:
		n, ok := contentLength(r.Header.Values("Content-Length"))
		if !ok {
			r.Body, r.Close, r.untilClose = b, true, true
			break
		}
		if len(b) >= n {
			b, r.Complete = b[:n], true
		}
		r.Body = b
	}
	if decode && strings.EqualFold(strings.TrimSpace(r.Header.Get("Content-Encoding")), "gzip") {
		r.Body = gunzip(r.Body, unzipMax)
	}
}

func hasToken(list, tok string) bool {
	for _, t := range strings.Split(list, ",") {
		if strings.TrimSpace(t) == tok {
			return true
		}
	}
	return false
}

// contentLength reads Content-Length; several fields must agree.
func contentLength(vals []string) (int, bool) {
	if len(vals) == 0 {
		return 0, false
	}
	n := -1
	for _, v := range vals {
		for _, part := range strings.Split(v, ",") {
			m, err := strconv.ParseUint(strings.TrimSpace(part), 10, 31)
			if err != nil || (n >= 0 && int(m) != n) {
				return 0, false
			}
			n = int(m)
		}
	}
	return n, true
}

// dechunk removes the chunked transfer coding, as far as the bytes go.
func dechunk(b []byte) (body []byte, complete bool) {
	for {
		line, rest, ok := cutLine(b)
		if !ok {
			return body, false
		}
		size, _, _ := bytes.Cut(line, []byte(";"))
		n, err := strconv.ParseUint(string(bytes.TrimSpace(size)), 16, 31)
		if err != nil {
			return body, false
		}
		if n == 0 {
			// Trailer fields, then the empty line.
			for {
				line, rest, ok = cutLine(rest)
				if !ok {
					return body, false
				}
				if len(line) == 0 {
					return body, true
				}
			}
		}
		if uint64(len(rest)) < n {
			return append(body, rest...), false
		}
		body = append(body, rest[:n]...)
		b = rest[n:]
		if _, b, ok = cutLine(b); !ok {
			return body, false
		}
	}
}

// gunzip undoes a gzip coding as far as the bytes and max go; a body that
// is not gzip after all is returned as it is.
func gunzip(b []byte, max int) []byte {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return b
	}
	out, _ := io.ReadAll(io.LimitReader(zr, int64(max))) // a cut body yields what it holds
	return out
}

// clean keeps printable ASCII of s (other bytes become '?'), collapses
// runs of white space and cuts it to max bytes.
func clean(s string, max int) string {
	var b strings.Builder
	space := false
	for i := 0; i < len(s) && b.Len() < max; i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			space = b.Len() > 0
			continue
		case c < 0x20 || c >= 0x7f:
			c = '?'
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteByte(c)
	}
	return b.String()
}

// untilResponse is a ReadUntil test: the head arrived and the body ended
// or reached bodyMax, or the bytes cannot be HTTP.
func untilResponse(bodyMax int) func([]byte) bool {
	return func(b []byte) bool {
		if n := min(len(b), 5); !bytes.Equal(b[:n], []byte("HTTP/")[:n]) {
			return true
		}
		if bytes.IndexByte(b, '\n') < 0 {
			return len(b) >= headMax
		}
		r, err := parse(b, false)
		if err != nil {
			return true
		}
		if !r.HeadDone {
			return len(b) >= headMax
		}
		return r.Complete || len(r.Body) >= bodyMax
	}
}

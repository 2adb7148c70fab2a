// Package sip recognises SIP servers (RFC 3261) over UDP and TCP by their
// answer to an OPTIONS request: the status line, the CSeq echoed back and
// the Server (or User-Agent) header naming the product, as Kamailio's
// "kamailio (5.6.3 (x86_64/linux))".
package sip

import (
	"bytes"
	"context"
	"crypto/rand"
	"strconv"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() {
	fingerprint.Register(plugin{proto: portspec.UDP})
	fingerprint.Register(plugin{proto: portspec.TCP})
}

// answerMax bounds one answer; a UDP answer is one datagram.
const answerMax = 16 << 10

// sentBy is the host the request's Via and From name. The answer comes
// back to the request's source all the same: the Via asks for it with
// rport (RFC 3581), and on TCP it takes the same connection.
const sentBy = "ajar.invalid"

type plugin struct{ proto portspec.Proto }

func (p plugin) Info() fingerprint.Info {
	in := fingerprint.Info{Name: "sip", Proto: p.proto, Ports: []uint16{5060}}
	if p.proto == portspec.UDP {
		// SIP is among the most common UDP services, and cheap to ask.
		in.Rarity = 3
	} else {
		in.TLSPorts = []uint16{5061}
		in.Rarity = 6
	}
	return in
}

func (p plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	transport := "TCP"
	if p.proto == portspec.UDP {
		transport = "UDP"
	}
	if c.TLS() != nil {
		transport = "TLS"
	}
	callID := rand.Text()[:20]
	if err := c.Write(Request(c.HostPort(), transport, callID)); err != nil {
		return nil, err
	}
	if p.proto == portspec.TCP {
		b, err := c.ReadUntil(untilFinal, answerMax)
		return answerOf(b, err)
	}
	// On UDP each answer is a datagram: read past provisional ones.
	var provisional *record.Service
	for i := 0; i < 3; i++ {
		b, err := c.ReadUntil(nil, answerMax)
		if len(b) == 0 {
			break
		}
		svc, status, perr := parse(b)
		if perr != nil && provisional != nil {
			break
		}
		if perr != nil || status >= 200 {
			return svc, perr
		}
		provisional = svc
		if err != nil {
			break
		}
	}
	if provisional != nil {
		return provisional, nil
	}
	return nil, fingerprint.ErrNoMatch
}

// answerOf judges the messages read on TCP: the final answer, or a
// provisional one when no final one came.
func answerOf(b []byte, err error) (*record.Service, error) {
	var provisional *record.Service
	for len(b) > 0 {
		svc, status, perr := parse(b)
		if perr != nil {
			break
		}
		if status >= 200 {
			return svc, nil
		}
		provisional = svc
		b, _ = next(b)
	}
	if provisional != nil {
		return provisional, nil
	}
	if err == nil || len(b) > 0 {
		err = fingerprint.ErrNoMatch
	}
	return nil, err
}

// Request is an OPTIONS request for the server at hostPort, sent over
// transport (UDP, TCP, TLS), with the given Call-ID.
func Request(hostPort, transport, callID string) []byte {
	var b strings.Builder
	b.WriteString("OPTIONS sip:" + hostPort + " SIP/2.0\r\n")
	b.WriteString("Via: SIP/2.0/" + transport + " " + sentBy + ";branch=z9hG4bK" + callID + ";rport\r\n")
	b.WriteString("Max-Forwards: 70\r\n")
	b.WriteString("From: <sip:ajar@" + sentBy + ">;tag=" + callID[:8] + "\r\n")
	b.WriteString("To: <sip:" + hostPort + ">\r\n")
	b.WriteString("Call-ID: " + callID + "@" + sentBy + "\r\n")
	b.WriteString("CSeq: 1 OPTIONS\r\n")
	b.WriteString("Contact: <sip:ajar@" + sentBy + ">\r\n")
	b.WriteString("Accept: application/sdp\r\n")
	b.WriteString("User-Agent: ajar\r\n")
	b.WriteString("Content-Length: 0\r\n\r\n")
	return []byte(b.String())
}

// untilFinal is a ReadUntil test for TCP: a final answer arrived whole
// (past provisional ones), or the bytes cannot be SIP.
func untilFinal(b []byte) bool {
	for len(b) > 0 {
		if n := min(len(b), 4); !bytes.Equal(b[:n], []byte("SIP/")[:n]) {
			return true
		}
		status, _, ok := parseHead(b)
		if !ok && bytes.IndexByte(b, '\n') >= 0 {
			return true
		}
		rest, whole := next(b)
		if !whole {
			return false
		}
		if status >= 200 {
			return true
		}
		b = rest
	}
	return false
}

// next returns what follows the first message of b, and whether that
// message arrived whole: its head and the body its Content-Length says.
func next(b []byte) (rest []byte, whole bool) {
	end := bytes.Index(b, []byte("\r\n\r\n"))
	if end < 0 {
		return nil, false
	}
	_, fields, _ := parseHead(b[:end+2])
	n, err := strconv.Atoi(fields["content-length"])
	if err != nil || n < 0 {
		n = 0
	}
	body := b[end+4:]
	if len(body) < n {
		return nil, false
	}
	return body[n:], true
}

// Parse reads a SIP server's answer. It returns fingerprint.ErrNoMatch
// unless the answer starts with a SIP status line.
func Parse(b []byte) (*record.Service, error) {
	svc, _, err := parse(b)
	return svc, err
}

func parse(b []byte) (*record.Service, int, error) {
	status, fields, ok := parseHead(b)
	if !ok {
		return nil, 0, fingerprint.ErrNoMatch
	}
	svc := &record.Service{Name: "sip", Confidence: 8}
	if method := strings.Fields(fields["cseq"]); len(method) == 2 && strings.EqualFold(method[1], "OPTIONS") {
		svc.Confidence = 10
	}
	agent := fields["server"]
	if agent == "" {
		agent = fields["user-agent"]
	}
	if agent != "" {
		describe(svc, agent)
	}
	return svc, status, nil
}

// compact are the compact header names (RFC 3261 section 7.3.3) of the
// fields read.
var compact = map[string]string{"l": "content-length", "i": "call-id", "v": "via", "f": "from", "t": "to"}

// parseHead reads the status line "SIP/2.0 200 OK" and the header fields,
// names lower-cased and compact forms expanded (the first of each kept).
func parseHead(b []byte) (status int, fields map[string]string, ok bool) {
	line, rest, _ := bytes.Cut(b, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	if len(line) < len("SIP/2.0 200") || !bytes.HasPrefix(line, []byte("SIP/2.0 ")) ||
		!isDigit(line[8]) || !isDigit(line[9]) || !isDigit(line[10]) || line[8] == '0' ||
		(len(line) > 11 && line[11] != ' ') {
		return 0, nil, false
	}
	status = int(line[8]-'0')*100 + int(line[9]-'0')*10 + int(line[10]-'0')
	fields = make(map[string]string)
	for len(rest) > 0 && len(fields) < 64 {
		line, rest, _ = bytes.Cut(rest, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		key := strings.ToLower(string(bytes.TrimSpace(name)))
		if long, ok := compact[key]; ok {
			key = long
		}
		if _, dup := fields[key]; !dup {
			fields[key] = clean(string(bytes.TrimSpace(value)), 200)
		}
	}
	return status, fields, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// clean keeps printable ASCII (other bytes become '?') and cuts to max
// bytes.
func clean(s string, max int) string {
	if len(s) > max {
		s = s[:max]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r >= 0x7f {
			return '?'
		}
		return r
	}, s)
}

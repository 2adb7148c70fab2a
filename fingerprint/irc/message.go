package irc

import (
	"bytes"
	"strings"
)

// Message is one IRC message (RFC 2812 section 2.3.1):
// [":" prefix SPACE] command *(SPACE param) [SPACE ":" trailing].
type Message struct {
	Prefix  string
	Command string
	Params  []string
}

// maxParams bounds the parameters of a message (RFC 2812: 15).
const maxParams = 32

// parseMessage reads one line, without its CR LF.
func parseMessage(line string) (Message, bool) {
	var m Message
	if line == "" || !isText(line) {
		return m, false
	}
	if strings.HasPrefix(line, ":") {
		prefix, rest, ok := strings.Cut(line[1:], " ")
		if !ok || prefix == "" {
			return m, false
		}
		m.Prefix, line = prefix, strings.TrimLeft(rest, " ")
	}
	cmd, rest, _ := strings.Cut(line, " ")
	if !isCommand(cmd) {
		return m, false
	}
	m.Command = strings.ToUpper(cmd)
	for rest != "" && len(m.Params) < maxParams {
		rest = strings.TrimLeft(rest, " ")
		if strings.HasPrefix(rest, ":") {
			m.Params = append(m.Params, rest[1:])
			break
		}
		var p string
		p, rest, _ = strings.Cut(rest, " ")
		if p != "" {
			m.Params = append(m.Params, p)
		}
	}
	return m, true
}

// isCommand reports whether s is a command: letters, or three digits.
func isCommand(s string) bool {
	if len(s) == 3 && isDigit(s[0]) && isDigit(s[1]) && isDigit(s[2]) {
		return true
	}
	if s == "" || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if ch := s[i]; !(ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z') {
			return false
		}
	}
	return true
}

// lines splits b into whole lines without their CR LF; a last line that
// has not ended yet is left out.
func lines(b []byte) []string {
	var out []string
	for {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return out
		}
		out = append(out, string(bytes.TrimRight(b[:i], "\r")))
		b = b[i+1:]
	}
}

func isDigit(ch byte) bool { return ch >= '0' && ch <= '9' }

// isText reports whether a line is text: no control bytes but tab and
// the formatting codes IRC uses (bold, colour, reset, reverse, italic,
// underline).
func isText(s string) bool {
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '\t', ch == 0x02, ch == 0x03, ch == 0x0f, ch == 0x16, ch == 0x1d, ch == 0x1f:
		case ch < 0x20 || ch == 0x7f:
			return false
		}
	}
	return true
}

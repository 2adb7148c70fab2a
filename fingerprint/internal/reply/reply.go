// Package reply reads the numbered replies of FTP (RFC 959 section 4.2)
// and SMTP (RFC 5321 section 4.2): a three-digit code and the text of its
// lines. A multi-line reply starts "211-" and ends with a line "211 ".
// SMTP repeats "250-" on every line between; FTP lets them say anything,
// and this parser takes both forms.
package reply

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/internal/banner"
)

// Reply is one numbered reply: its code and the text of its lines.
type Reply struct {
	Code  int
	Lines []string
}

// Text is the reply's lines joined by newlines.
func (r Reply) Text() string {
	var b bytes.Buffer
	for i, l := range r.Lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l)
	}
	return b.String()
}

var (
	// ErrIncomplete is Parse's error when its input ends before the
	// reply does.
	ErrIncomplete = errors.New("reply incomplete")
	// ErrNotReply is Parse's error when its input is not a reply.
	ErrNotReply = errors.New("not a numbered reply")
)

// maxLines bounds the lines of one reply a parser walks.
const maxLines = 512

// Parse reads the first reply in b. It returns ErrIncomplete when b ends
// before the reply does, and ErrNotReply when b does not start with a
// reply.
func Parse(b []byte) (Reply, error) {
	line, rest, ok := cutLine(b)
	if !ok {
		if !codePrefix(b) {
			return Reply{}, ErrNotReply
		}
		return Reply{}, ErrIncomplete
	}
	code, sep, text, err := replyLine(line)
	if err != nil {
		return Reply{}, err
	}
	r := Reply{Code: code, Lines: []string{text}}
	if sep != '-' {
		return r, nil
	}
	for len(r.Lines) < maxLines {
		line, rest, ok = cutLine(rest)
		if !ok {
			return r, ErrIncomplete
		}
		if !banner.IsText(line) {
			return r, fmt.Errorf("%w: control bytes in line", ErrNotReply)
		}
		if c, s, t, err := replyLine(line); err == nil && c == code && s != '-' {
			r.Lines = append(r.Lines, t)
			return r, nil
		}
		// Continuation lines may repeat the code with a dash, or not.
		if len(line) >= 4 && string(line[:3]) == string(b[:3]) && line[3] == '-' {
			line = line[4:]
		}
		r.Lines = append(r.Lines, string(bytes.TrimLeft(line, " ")))
	}
	return r, fmt.Errorf("%w: more than %d lines", ErrNotReply, maxLines)
}

// Done is a ReadUntil test: b holds a whole reply, or something that will
// never be one.
func Done(b []byte) bool {
	_, err := Parse(b)
	return !errors.Is(err, ErrIncomplete)
}

// Complete returns the greeting: banner, and when banner ends inside a
// reply, the rest of that reply read from c (up to max bytes).
func Complete(c *fingerprint.Conn, banner []byte, max int) ([]byte, error) {
	if Done(banner) {
		return banner, nil
	}
	rest, err := c.ReadUntil(func(b []byte) bool { return Done(join(banner, b)) }, max)
	if err != nil {
		return nil, err
	}
	return join(banner, rest), nil
}

// Exchange sends one command and reads its reply (up to max bytes).
func Exchange(c *fingerprint.Conn, cmd string, max int) (Reply, error) {
	b, err := c.Exchange([]byte(cmd), Done, max)
	if err != nil {
		return Reply{}, err
	}
	return Parse(b)
}

// StartTLS sends command (AUTH TLS, STARTTLS) and, when the server
// answers with the code want, runs the TLS handshake.
func StartTLS(ctx context.Context, c *fingerprint.Conn, command string, want, max int) error {
	r, err := Exchange(c, command+"\r\n", max)
	if err != nil {
		return err
	}
	if r.Code != want {
		return errors.New(command + " refused: " + r.Text())
	}
	return c.StartTLS(ctx, command)
}

func join(a, b []byte) []byte {
	out := make([]byte, 0, len(a)+len(b))
	return append(append(out, a...), b...)
}

// replyLine splits "220 text" or "250-text" into its parts.
func replyLine(line []byte) (code int, sep byte, text string, err error) {
	if len(line) < 3 || line[0] < '1' || line[0] > '5' || !isDigit(line[1]) || !isDigit(line[2]) {
		return 0, 0, "", ErrNotReply
	}
	code = int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0')
	if len(line) > 3 {
		sep = line[3]
		if sep != ' ' && sep != '-' {
			return 0, 0, "", ErrNotReply
		}
		line = line[4:]
	} else {
		line = nil
	}
	if !banner.IsText(line) {
		return 0, 0, "", fmt.Errorf("%w: control bytes in line", ErrNotReply)
	}
	return code, sep, string(line), nil
}

// codePrefix reports whether b could be the start of a reply line.
func codePrefix(b []byte) bool {
	for i, ch := range b {
		switch {
		case i == 0 && (ch < '1' || ch > '5'):
			return false
		case i < 3 && !isDigit(ch):
			return false
		case i == 3:
			return ch == ' ' || ch == '-'
		}
	}
	return true
}

// cutLine splits off the first line of b, without its CR LF.
func cutLine(b []byte) (line, rest []byte, ok bool) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return nil, b, false
	}
	return bytes.TrimSuffix(b[:i], []byte("\r")), b[i+1:], true
}

func isDigit(ch byte) bool { return ch >= '0' && ch <= '9' }

package ftp

import (
	"bytes"
	"errors"
	"fmt"
)

// Reply is one FTP reply (RFC 959 section 4.2): a three-digit code and
// the text of its lines. A multi-line reply starts "211-" and ends with a
// line "211 "; the lines between may say anything.
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
	errIncomplete = errors.New("reply incomplete")
	errNotReply   = errors.New("not an FTP reply")
)

// maxLines bounds the lines of one reply a parser walks.
const maxLines = 512

// parseReply reads the first reply in b. It returns errIncomplete when b
// ends before the reply does, and errNotReply when b does not start with
// a reply.
func parseReply(b []byte) (Reply, error) {
	line, rest, ok := cutLine(b)
	if !ok {
		if !codePrefix(b) {
			return Reply{}, errNotReply
		}
		return Reply{}, errIncomplete
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
			return r, errIncomplete
		}
		if !isText(line) {
			return r, fmt.Errorf("%w: control bytes in line", errNotReply)
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
	return r, fmt.Errorf("%w: more than %d lines", errNotReply, maxLines)
}

// replyDone is a ReadUntil test: b holds a whole reply, or something that
// will never be one.
func replyDone(b []byte) bool {
	_, err := parseReply(b)
	return !errors.Is(err, errIncomplete)
}

// replyLine splits "220 text" or "211-text" into its parts.
func replyLine(line []byte) (code int, sep byte, text string, err error) {
	if len(line) < 3 || line[0] < '1' || line[0] > '5' || !isDigit(line[1]) || !isDigit(line[2]) {
		return 0, 0, "", errNotReply
	}
	code = int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0')
	if len(line) > 3 {
		sep = line[3]
		if sep != ' ' && sep != '-' {
			return 0, 0, "", errNotReply
		}
		line = line[4:]
	} else {
		line = nil
	}
	if !isText(line) {
		return 0, 0, "", fmt.Errorf("%w: control bytes in line", errNotReply)
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

// isText reports whether a line is text: no control bytes but tab.
func isText(line []byte) bool {
	for _, ch := range line {
		if (ch < 0x20 && ch != '\t') || ch == 0x7f {
			return false
		}
	}
	return true
}

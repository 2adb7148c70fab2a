// Package tftp recognises TFTP servers (RFC 1350) over UDP by a read
// request, in octet mode, for a file no server has: the ERROR (File not
// found, or Access violation) it draws proves TFTP, and comes, as RFC
// 1350 §4 has it, from a fresh port of the server. Identification
// listens on an unconnected socket for it, and a port scan accepts it
// through the probe's OtherPort check.
package tftp

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/record"
)

const (
	name   = "tftp"
	port   = 69
	rarity = 5
	// Opcodes (RFC 1350 §5, RFC 2347).
	opRRQ   = 1
	opData  = 3
	opError = 5
	opOACK  = 6
	// missingFile is the file asked for.
	missingFile = "ajar-probe.nonexistent"
	// maxMessage bounds an error message kept.
	maxMessage = 100
)

func init() {
	fingerprint.RegisterUDP(fingerprint.UDPProbe{Name: name, Ports: []uint16{port}, Datagrams: [][]byte{Request()}, Rarity: rarity, OtherPort: IsReply}, Parse)
}

// Request is a read request (RFC 1350 §5) for a file no server has, in
// octet mode.
func Request() []byte {
	b := binary.BigEndian.AppendUint16(nil, opRRQ)
	b = append(b, missingFile...)
	b = append(b, 0)
	b = append(b, "octet"...)
	return append(b, 0)
}

// IsReply reports whether a datagram looks like a TFTP server's answer to
// a read request: DATA block 1, an ERROR, or an OACK, each well-formed.
// The server sends it from a port of its own, so this is all that tells
// it from a stray.
func IsReply(b []byte) bool {
	_, err := Parse(b)
	return err == nil
}

// errorNames are the error codes of RFC 1350 §5 and RFC 2347.
var errorNames = []string{"not defined", "file not found", "access violation", "disk full",
	"illegal operation", "unknown transfer ID", "file exists", "no such user", "option refused"}

// Parse reads the answer to Request: an ERROR with a known code and a
// NUL-terminated message, DATA for block 1, or an OACK of NUL-terminated
// option pairs. Anything else is ErrNoMatch.
func Parse(b []byte) (*record.Service, error) {
	if len(b) < 4 {
		return nil, fingerprint.ErrNoMatch
	}
	svc := &record.Service{Name: name, Confidence: 8}
	switch binary.BigEndian.Uint16(b) {
	case opError:
		code := binary.BigEndian.Uint16(b[2:])
		msg, rest, ok := bytes.Cut(b[4:], []byte{0})
		if int(code) >= len(errorNames) || !ok || len(rest) > 0 {
			return nil, fingerprint.ErrNoMatch
		}
		info := "error " + strconv.Itoa(int(code))
		if m := clean(msg); m != "" {
			info += ": " + m
		} else {
			info += ": " + errorNames[code]
		}
		svc.ExtraInfo = info
	case opData:
		if binary.BigEndian.Uint16(b[2:]) != 1 || len(b) > 4+65464 {
			return nil, fingerprint.ErrNoMatch
		}
		svc.ExtraInfo = "served a file it should not have"
	case opOACK:
		fields := bytes.Split(b[2:], []byte{0})
		// option, value pairs, each NUL-terminated: an odd count of
		// parts before the last, empty, one.
		if b[len(b)-1] != 0 || len(fields)%2 != 1 || len(fields) < 3 {
			return nil, fingerprint.ErrNoMatch
		}
		svc.ExtraInfo = "options"
	default:
		return nil, fingerprint.ErrNoMatch
	}
	return svc, nil
}

// clean keeps printable ASCII of a message, at most maxMessage bytes.
func clean(b []byte) string {
	var sb strings.Builder
	for _, c := range b[:min(len(b), maxMessage)] {
		if c >= 0x20 && c < 0x7f {
			sb.WriteByte(c)
		}
	}
	return strings.TrimSpace(sb.String())
}

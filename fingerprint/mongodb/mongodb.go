// Package mongodb recognises MongoDB servers. The client asks isMaster
// with a legacy OP_QUERY on admin.$cmd, which every server version takes
// for the handshake, and reads the BSON reply: maxWireVersion says the
// release line, ismaster/setName/msg the server's role. buildInfo (an
// OP_MSG from wire version 6 on), which needs no authentication, then
// gives the exact version.
package mongodb

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{
		Name:   "mongodb",
		Proto:  portspec.TCP,
		Ports:  []uint16{27017, 27018, 27019},
		Rarity: 8,
	}
}

// Wire protocol opcodes.
const (
	opReply = 1
	opQuery = 2004
	opMsg   = 2013

	// replyMax bounds a reply; buildInfo's is a few KiB.
	replyMax = 48 << 10
	// opMsgWire is the first wire version with OP_MSG (MongoDB 3.6).
	opMsgWire = 6
)

// header builds a message header for a body of n bytes.
func header(n int, requestID int32, opcode int32) []byte {
	b := make([]byte, 16, 16+n)
	binary.LittleEndian.PutUint32(b, uint32(16+n))
	binary.LittleEndian.PutUint32(b[4:], uint32(requestID))
	binary.LittleEndian.PutUint32(b[12:], uint32(opcode))
	return b
}

// QueryCommand is a legacy OP_QUERY of admin.$cmd with one command.
func QueryCommand(requestID int32, command string) []byte {
	body := binary.LittleEndian.AppendUint32(nil, 0) // flags
	body = append(body, "admin.$cmd\x00"...)
	body = binary.LittleEndian.AppendUint32(body, 0)                  // numberToSkip
	body = binary.LittleEndian.AppendUint32(body, uint32(0xffffffff)) // numberToReturn: -1
	body = append(body, encode(field{command, int32(1)})...)
	return append(header(len(body), requestID, opQuery), body...)
}

// MsgCommand is an OP_MSG with one command on the admin database.
func MsgCommand(requestID int32, command string) []byte {
	body := binary.LittleEndian.AppendUint32(nil, 0) // flagBits
	body = append(body, 0)                           // section kind 0: the body
	body = append(body, encode(field{command, int32(1)}, field{"$db", "admin"})...)
	return append(header(len(body), requestID, opMsg), body...)
}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := c.Exchange(QueryCommand(1, "isMaster"), replyDone(1), replyMax)
	svc, hello, perr := parseHello(b)
	if perr != nil {
		if len(b) == 0 && err != nil {
			return nil, err
		}
		return nil, perr
	}
	req := QueryCommand(2, "buildInfo")
	if w, _ := hello.number("maxWireVersion"); w >= opMsgWire {
		req = MsgCommand(2, "buildInfo")
	}
	if b, err = c.Exchange(req, replyDone(2), replyMax); err != nil {
		return svc, nil
	}
	if d, err := reply(b, 2); err == nil {
		addBuildInfo(svc, d)
	}
	return svc, nil
}

// replyDone is a ReadUntil test: the whole message, or a header that
// cannot be the reply to requestID.
func replyDone(requestID int32) func([]byte) bool {
	return func(b []byte) bool {
		if len(b) < 4 {
			return false
		}
		n := int(int32(binary.LittleEndian.Uint32(b)))
		if n < 16 || n > replyMax {
			return true
		}
		if len(b) >= 12 && int32(binary.LittleEndian.Uint32(b[8:])) != requestID {
			return true
		}
		return len(b) >= n
	}
}

// reply reads the first document of a reply to requestID, OP_REPLY or
// OP_MSG.
func reply(b []byte, requestID int32) (doc, error) {
	if len(b) < 16 {
		return nil, fingerprint.ErrNoMatch
	}
	n := int(int32(binary.LittleEndian.Uint32(b)))
	if n < 16 || n > len(b) || int32(binary.LittleEndian.Uint32(b[8:])) != requestID {
		return nil, fingerprint.ErrNoMatch
	}
	op, body := binary.LittleEndian.Uint32(b[12:]), b[16:n]
	switch op {
	case opReply:
		// responseFlags(4) cursorID(8) startingFrom(4) numberReturned(4)
		if len(body) < 20 || binary.LittleEndian.Uint32(body[16:]) < 1 {
			return nil, fingerprint.ErrNoMatch
		}
		body = body[20:]
	case opMsg:
		if len(body) < 5 || body[4] != 0 {
			return nil, fingerprint.ErrNoMatch
		}
		body = body[5:]
	default:
		return nil, fingerprint.ErrNoMatch
	}
	d, _, err := decode(body)
	if err != nil {
		return nil, fingerprint.ErrNoMatch
	}
	return d, nil
}

// ParseHello reads the reply to QueryCommand(1, "isMaster").
func ParseHello(b []byte) (*record.Service, error) {
	svc, _, err := parseHello(b)
	return svc, err
}

func parseHello(b []byte) (*record.Service, doc, error) {
	d, err := reply(b, 1)
	if err != nil {
		return nil, nil, err
	}
	if _, ok := d.number("ok"); !ok {
		return nil, nil, fingerprint.ErrNoMatch
	}
	svc := &record.Service{Name: "mongodb", Product: "MongoDB", Confidence: 10,
		CPE: []string{fingerprint.CPE("mongodb", "mongodb", "")}}
	wire, hasWire := d.number("maxWireVersion")
	_, hasMaster := d.boolean("ismaster")
	_, hasPrimary := d.boolean("isWritablePrimary")
	if !hasWire && !hasMaster && !hasPrimary {
		// A refusal: {ok: 0, errmsg, code} is MongoDB's error shape.
		msg, ok1 := d.str("errmsg")
		_, ok2 := d.number("code")
		if !ok1 || !ok2 {
			return nil, nil, fingerprint.ErrNoMatch
		}
		svc.Confidence = 8
		svc.ExtraInfo = "error: " + fingerprint.Printable([]byte(msg), 100)
		return svc, d, nil
	}
	var extra []string
	if role := role(d); role != "" {
		extra = append(extra, role)
	}
	if hasWire {
		w := fmt.Sprintf("wire version %d", wire)
		if line := releaseLine(wire); line != "" {
			w += " (" + line + ")"
		}
		extra = append(extra, w)
	}
	svc.ExtraInfo = strings.Join(extra, "; ")
	return svc, d, nil
}

// role says what part the server plays.
func role(d doc) string {
	if msg, _ := d.str("msg"); msg == "isdbgrid" {
		return "mongos"
	}
	set, _ := d.str("setName")
	set = fingerprint.Printable([]byte(set), 40)
	primary, _ := d.boolean("ismaster")
	if p, ok := d.boolean("isWritablePrimary"); ok {
		primary = p
	}
	secondary, _ := d.boolean("secondary")
	switch {
	case set != "" && primary:
		return "primary of " + set
	case set != "" && secondary:
		return "secondary of " + set
	case set != "":
		return "member of " + set
	}
	return ""
}

// releaseLines names the MongoDB release that introduced each wire
// version.
var releaseLines = []string{
	0: "2.4 or earlier", 1: "2.6", 2: "2.6", 3: "3.0", 4: "3.2", 5: "3.4", 6: "3.6", 7: "4.0",
	8: "4.2", 9: "4.4", 10: "4.7", 11: "4.8", 12: "4.9", 13: "5.0", 14: "5.1", 15: "5.2",
	16: "5.3", 17: "6.0", 18: "6.1", 19: "6.2", 20: "6.3", 21: "7.0", 22: "7.1", 23: "7.2",
	24: "7.3", 25: "8.0",
}

func releaseLine(wire int64) string {
	switch {
	case wire < 0:
		return ""
	case wire < int64(len(releaseLines)):
		return "MongoDB " + releaseLines[wire]
	}
	return "MongoDB " + releaseLines[len(releaseLines)-1] + " or later"
}

// addBuildInfo adds what buildInfo says to svc.
func addBuildInfo(svc *record.Service, d doc) {
	v, ok := d.str("version")
	if !ok || !isVersion(v) {
		return
	}
	for name := range d {
		if strings.Contains(strings.ToLower(name), "ferretdb") {
			// FerretDB answers with the MongoDB version it emulates.
			svc.Product, svc.CPE = "FerretDB", nil
			return
		}
	}
	svc.Version = v
	svc.CPE = []string{fingerprint.CPE("mongodb", "mongodb", v)}
}

func isVersion(s string) bool {
	if s == "" || len(s) > 32 || s[0] < '0' || s[0] > '9' {
		return false
	}
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '.', r == '-':
		default:
			return false
		}
	}
	return true
}

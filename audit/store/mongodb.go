package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"syscall"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/fingerprint/mongodb"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { audit.Register(mongodbCheck{}) }

type mongodbCheck struct{}

func (mongodbCheck) Info() audit.Info {
	return audit.Info{Name: "mongodb-auth", Services: []string{"mongodb"}, Proto: portspec.TCP}
}

// mongoRequestID marks the check's command; the reply answers it.
const mongoRequestID = 0x61756474

func (mongodbCheck) Run(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	// listDatabases on admin, in OP_MSG (MongoDB 3.6 and later): it
	// only lists.
	msg, err := mongoAsk(ctx, t, mongodb.MsgCommand(mongoRequestID, "listDatabases"))
	if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) {
		// A server before 3.6 closes on an opcode it does not know: the
		// same command in a legacy OP_QUERY of admin.$cmd.
		msg, err = mongoAsk(ctx, t, mongodb.QueryCommand(mongoRequestID, "listDatabases"))
	}
	if err != nil {
		return nil, fmt.Errorf("listDatabases: %w", err)
	}
	return JudgeMongoDB(msg)
}

// mongoAsk sends one request on a connection of its own and reads the
// one reply.
func mongoAsk(ctx context.Context, t *audit.Target, req []byte) ([]byte, error) {
	c, err := t.Dial(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if _, err := c.Write(req); err != nil {
		return nil, err
	}
	var h [16]byte
	if _, err := io.ReadFull(c, h[:]); err != nil {
		return nil, err
	}
	n := int(binary.LittleEndian.Uint32(h[:]))
	if n < 16 || n > replyMax {
		return nil, audit.ErrNotApplicable
	}
	msg := make([]byte, n)
	copy(msg, h[:])
	_, err = io.ReadFull(c, msg[16:])
	return msg, err
}

// bsonElems calls fn with each element of a BSON document (type, name,
// value bytes) until fn returns false. It reports whether the document
// was whole and every element's type known.
func bsonElems(doc []byte, fn func(typ byte, name string, v []byte) bool) bool {
	if len(doc) < 5 || int(binary.LittleEndian.Uint32(doc)) != len(doc) || doc[len(doc)-1] != 0 {
		return false
	}
	p := doc[4 : len(doc)-1]
	for len(p) > 0 {
		typ := p[0]
		end := bytes.IndexByte(p[1:], 0)
		if end < 0 {
			return false
		}
		name := string(p[1 : 1+end])
		p = p[2+end:]
		size := -1
		switch typ {
		case 0x01, 0x09, 0x11, 0x12: // double, datetime, timestamp, int64
			size = 8
		case 0x10: // int32
			size = 4
		case 0x08: // bool
			size = 1
		case 0x0a: // null
			size = 0
		case 0x07: // ObjectId
			size = 12
		case 0x02: // string
			if len(p) >= 4 {
				size = 4 + int(binary.LittleEndian.Uint32(p))
			}
		case 0x03, 0x04: // document, array
			if len(p) >= 4 {
				size = int(binary.LittleEndian.Uint32(p))
			}
		case 0x05: // binary
			if len(p) >= 4 {
				size = 5 + int(binary.LittleEndian.Uint32(p))
			}
		}
		if size < 0 || size > len(p) {
			return false
		}
		if !fn(typ, name, p[:size]) {
			return true
		}
		p = p[size:]
	}
	return true
}

// bsonString reads a BSON string value.
func bsonString(v []byte) string {
	if len(v) < 5 {
		return ""
	}
	return strings.TrimSuffix(string(v[4:]), "\x00")
}

// JudgeMongoDB judges the reply (OP_MSG, or a legacy OP_REPLY) to
// listDatabases sent without authenticating: ok 1 and a databases array
// means anyone can read and write every database (no
// security.authorization). ok 0 with code 13 (Unauthorized: "command
// listDatabases requires authentication") is not applicable, nor is
// anything that is not a reply to the check.
func JudgeMongoDB(msg []byte) ([]record.Finding, error) {
	const opReply, opMsg = 1, 2013
	if len(msg) < 16 || binary.LittleEndian.Uint32(msg[8:]) != mongoRequestID {
		return nil, audit.ErrNotApplicable
	}
	var doc []byte
	switch binary.LittleEndian.Uint32(msg[12:]) {
	case opMsg: // flagBits, then a section of kind 0
		if len(msg) < 21 || msg[20] != 0 {
			return nil, audit.ErrNotApplicable
		}
		doc = msg[21:]
	case opReply: // responseFlags, cursorID, startingFrom, numberReturned 1
		if len(msg) < 36 || binary.LittleEndian.Uint32(msg[32:]) != 1 {
			return nil, audit.ErrNotApplicable
		}
		doc = msg[36:]
	default:
		return nil, audit.ErrNotApplicable
	}
	ok := false
	var names []string
	listed := false
	whole := bsonElems(doc, func(typ byte, name string, v []byte) bool {
		switch {
		case name == "ok" && typ == 0x01:
			ok = math.Float64frombits(binary.LittleEndian.Uint64(v)) == 1
		case name == "ok" && typ == 0x10:
			ok = binary.LittleEndian.Uint32(v) == 1
		case name == "databases" && typ == 0x04:
			listed = true
			bsonElems(v, func(typ byte, _ string, db []byte) bool {
				if typ == 0x03 {
					bsonElems(db, func(typ byte, name string, s []byte) bool {
						if name == "name" && typ == 0x02 {
							names = append(names, bsonString(s))
						}
						return true
					})
				}
				return true
			})
		}
		return true
	})
	if !whole || !ok || !listed {
		return nil, audit.ErrNotApplicable
	}
	return []record.Finding{{
		ID: "mongodb-no-auth", Category: record.NoAuth, Severity: record.Critical,
		Title: "MongoDB serves its databases without authentication",
		Evidence: audit.Evidence([]byte(fmt.Sprintf("listDatabases without credentials: ok 1, %d databases: %s",
			len(names), strings.Join(first(names, 8), " ")))),
		Remediation: "create an admin user, then set `security: authorization: enabled` in mongod.conf (`--auth`), " +
			"and keep `net.bindIp: 127.0.0.1` (the default since 3.6) unless remote clients need it",
		References: []string{"CWE-306", "https://www.mongodb.com/docs/manual/tutorial/enable-authentication/"},
		Confidence: record.Confirmed,
	}}, nil
}

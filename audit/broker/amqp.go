package broker

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/fingerprint/amqp"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

type amqpCheck struct{}

func (amqpCheck) Info() audit.Info {
	return audit.Info{Name: "amqp-guest", Services: []string{"amqp"}, Proto: portspec.TCP}
}

// AMQP 0-9-1 framing.
const (
	amqpMethodFrame = 1
	amqpFrameEnd    = 0xce
)

// amqpMethod frames a method on channel 0.
func amqpMethod(class, method uint16, args []byte) []byte {
	b := []byte{amqpMethodFrame, 0, 0}
	b = binary.BigEndian.AppendUint32(b, uint32(4+len(args)))
	b = binary.BigEndian.AppendUint16(b, class)
	b = binary.BigEndian.AppendUint16(b, method)
	return append(append(b, args...), amqpFrameEnd)
}

// StartOK is Connection.Start-Ok with an empty client-properties table,
// mechanism PLAIN, the response "\0user\0password" and locale en_US.
func StartOK(user, password string) []byte {
	resp := "\x00" + user + "\x00" + password
	args := []byte{0, 0, 0, 0} // client-properties: an empty table
	args = append(append(args, 5), "PLAIN"...)
	args = binary.BigEndian.AppendUint32(args, uint32(len(resp)))
	args = append(args, resp...)
	args = append(append(args, 5), "en_US"...)
	return amqpMethod(10, 11, args)
}

// amqpReadFrame reads one frame: its type and payload.
func amqpReadFrame(r io.Reader) (typ byte, payload []byte, err error) {
	var h [7]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	n := int(binary.BigEndian.Uint32(h[3:]))
	if n > replyMax {
		return 0, nil, fmt.Errorf("frame of %d bytes: %w", n, audit.ErrNotApplicable)
	}
	b := make([]byte, n+1)
	if _, err := io.ReadFull(r, b); err != nil {
		return 0, nil, err
	}
	if b[n] != amqpFrameEnd {
		return 0, nil, fmt.Errorf("frame without its end: %w", audit.ErrNotApplicable)
	}
	return h[0], b[:n], nil
}

// startMechanisms returns the mechanisms a Connection.Start payload
// offers, skipping the server-properties table by its length.
func startMechanisms(p []byte) (string, bool) {
	if len(p) < 10 || binary.BigEndian.Uint16(p) != 10 || binary.BigEndian.Uint16(p[2:]) != 10 {
		return "", false
	}
	p = p[6:]
	n := int(binary.BigEndian.Uint32(p))
	if len(p) < 4+n+4 {
		return "", false
	}
	p = p[4+n:]
	m := int(binary.BigEndian.Uint32(p))
	if len(p) < 4+m {
		return "", false
	}
	return string(p[4 : 4+m]), true
}

func (amqpCheck) Run(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	c, err := t.Dial(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if _, err := c.Write(amqp.Header); err != nil {
		return nil, err
	}
	typ, start, err := amqpReadFrame(c)
	if err != nil {
		return nil, fmt.Errorf("Connection.Start: %w", err)
	}
	// The frame again, whole, for the identification's parser.
	frame := binary.BigEndian.AppendUint32([]byte{typ, 0, 0}, uint32(len(start)))
	frame = append(append(frame, start...), amqpFrameEnd)
	svc, err := amqp.Parse(frame)
	mechs, ok := startMechanisms(start)
	// guest/guest is RabbitMQ's own default account, and only RabbitMQ's:
	// no other broker is ever sent it.
	if err != nil || !ok || svc.Product != "RabbitMQ" || !hasWord(mechs, "PLAIN") {
		return nil, audit.ErrNotApplicable
	}
	// The one login: guest/guest. RabbitMQ refuses it from anywhere but
	// loopback unless loopback_users is changed; the refusal closes the
	// connection (or sends Connection.Close 403).
	if _, err := c.Write(StartOK("guest", "guest")); err != nil {
		return nil, err
	}
	typ, p, err := amqpReadFrame(c)
	if err != nil {
		// RabbitMQ refuses by closing, often with a reset.
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) {
			return nil, audit.ErrNotApplicable
		}
		return nil, fmt.Errorf("after Start-Ok: %w", err)
	}
	return JudgeAMQP(svc.Version, typ, p)
}

func hasWord(list, w string) bool {
	for _, f := range strings.Fields(list) {
		if f == w {
			return true
		}
	}
	return false
}

// JudgeAMQP judges RabbitMQ's answer to Connection.Start-Ok with
// guest/guest: Connection.Tune (class 10, method 30) means the login was
// accepted from this client's address — the broker's default
// administrator, whose password everyone knows, is reachable from afar.
// Connection.Close (403 ACCESS_REFUSED) or anything else is not
// applicable.
func JudgeAMQP(version string, typ byte, p []byte) ([]record.Finding, error) {
	if typ != amqpMethodFrame || len(p) < 4 || !bytes.Equal(p[:4], []byte{0, 10, 0, 30}) {
		return nil, audit.ErrNotApplicable
	}
	ev := "Connection.Start-Ok with PLAIN guest/guest: Connection.Tune (login accepted)"
	if version != "" {
		ev += "; RabbitMQ " + version
	}
	return []record.Finding{{
		ID: "amqp-guest-login", Category: record.DefaultCredentials, Severity: record.High,
		Title:    "RabbitMQ accepts its default account guest/guest from a remote address",
		Evidence: audit.Evidence([]byte(ev)),
		Remediation: "delete the guest user (`rabbitmqctl delete_user guest`) or change its password, and keep RabbitMQ's " +
			"default `loopback_users.guest = true` (remove `loopback_users = none` from rabbitmq.conf)",
		References: []string{"CWE-1392", "CWE-798", "https://www.rabbitmq.com/docs/access-control#default-state"},
		Confidence: record.Confirmed,
	}}, nil
}

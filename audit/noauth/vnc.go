package noauth

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"regexp"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { audit.Register(vncCheck{}) }

type vncCheck struct{}

func (vncCheck) Info() audit.Info {
	return audit.Info{Name: "vnc-auth", Services: []string{"vnc"}, Proto: portspec.TCP}
}

// rfbVersion is an RFB ProtocolVersion message (RFC 6143 section 7.1.1).
var rfbVersion = regexp.MustCompile(`^RFB 00(\d)\.00(\d)\n$`)

// The security types of RFC 6143 section 7.1.2 the judgement names.
const (
	rfbInvalid = 0
	rfbNone    = 1
)

func (vncCheck) Run(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	c, err := t.Dial(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	version, err := audit.ReadUntil(c, func(b []byte) bool { return len(b) >= 12 }, 12)
	if err != nil {
		return nil, fmt.Errorf("ProtocolVersion: %w", err)
	}
	m := rfbVersion.FindSubmatch(version)
	if m == nil {
		return nil, audit.ErrNotApplicable
	}
	// Answer with the server's own version, at most 3.8; the server then
	// offers its security types. The check chooses none and closes.
	reply := []byte("RFB 003.008\n")
	old := string(m[1]) == "3" && string(m[2]) < "7"
	if old {
		reply = []byte("RFB 003.003\n")
	}
	if _, err := c.Write(reply); err != nil {
		return nil, err
	}
	want := func(b []byte) bool {
		if old {
			return len(b) >= 4
		}
		return len(b) >= 1 && len(b) >= 1+int(b[0])
	}
	types, err := audit.ReadUntil(c, want, 256)
	if err != nil && !want(types) {
		return nil, fmt.Errorf("security types: %w", err)
	}
	return JudgeVNC(version, types)
}

// JudgeVNC judges an RFB server's security handshake: its version line
// and, for 3.7 and later, the list of security types it offers (a count,
// then one byte a type), for 3.3 the one type it chose (a big-endian
// uint32). Type 1, None, lets anyone see and drive the desktop.
func JudgeVNC(version, types []byte) ([]record.Finding, error) {
	m := rfbVersion.FindSubmatch(version)
	if m == nil {
		return nil, audit.ErrNotApplicable
	}
	var offered []byte
	if string(m[1]) == "3" && string(m[2]) < "7" {
		if len(types) < 4 {
			return nil, audit.ErrNotApplicable
		}
		st := binary.BigEndian.Uint32(types)
		if st > 255 {
			return nil, audit.ErrNotApplicable
		}
		offered = []byte{byte(st)}
	} else {
		if len(types) < 1 || types[0] == rfbInvalid || len(types) < 1+int(types[0]) {
			return nil, audit.ErrNotApplicable
		}
		offered = types[1 : 1+int(types[0])]
	}
	if !bytes.Contains(offered, []byte{rfbNone}) {
		return nil, audit.ErrNotApplicable
	}
	return []record.Finding{{
		ID: "vnc-no-auth", Category: record.NoAuth, Severity: record.Critical,
		Title: "VNC server lets anyone view and control the desktop: security type None",
		Evidence: fmt.Sprintf("%s; security types offered: %v (1 is None)",
			audit.Evidence(bytes.TrimRight(version, "\n")), offered),
		Remediation: "require authentication: `-SecurityTypes VncAuth,TLSVnc` with `-PasswordFile` (TigerVNC), " +
			"or VeNCrypt with TLS and users; bind to loopback and reach it through SSH",
		References: []string{"RFC 6143 section 7.2.1", "CWE-306"},
		Confidence: record.Confirmed,
	}}, nil
}

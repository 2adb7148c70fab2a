package netsvc

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() {
	audit.Register(smbCheck{v1: true})
	audit.Register(smbCheck{})
}

// smbCheck negotiates with an SMB server (direct TCP, [MS-SMB2] 2.1) and
// reads what it accepts, without a session: SMB1 offered alone (v1), or
// SMB2's security mode.
type smbCheck struct{ v1 bool }

func (c smbCheck) Info() audit.Info {
	name := "smb-signing"
	if c.v1 {
		name = "smb-v1"
	}
	in := audit.Info{Name: name, Services: []string{"smb"}, Proto: portspec.TCP}
	if c.v1 {
		// An SMB2-only Samba leaves an SMB1 NEGOTIATE unanswered: the
		// wait is the check's budget, so a shorter one (smbd forks a
		// process per connection first, which takes a loaded host a
		// few seconds).
		in.Timeout = 4 * time.Second
	}
	return in
}

func (c smbCheck) Run(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	if t.Addr.Port() == 139 {
		return nil, audit.ErrNotApplicable // NetBIOS framing first: not judged here
	}
	conn, err := t.DialPlain(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	req := Negotiate2Request()
	if c.v1 {
		req = Negotiate1Request()
	}
	b, err := audit.Exchange(conn, nbFrame(req), nbWhole, 64<<10)
	if err != nil || len(b) < 4 {
		// A server without SMB1 may just close the connection.
		return nil, audit.ErrNotApplicable
	}
	if c.v1 {
		return JudgeSMB1(b[4:])
	}
	return JudgeSMB2Signing(b[4:])
}

// nbFrame puts the 4-byte length header of direct TCP before msg.
func nbFrame(msg []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(msg))), msg...)
}

// nbWhole: one framed message is whole.
func nbWhole(b []byte) bool {
	return len(b) >= 4 && (b[0] != 0 || len(b) >= 4+int(binary.BigEndian.Uint32(b)&0xffffff))
}

// Negotiate1Request is an SMB1 NEGOTIATE ([MS-CIFS] 2.2.4.52.1) that
// offers the one dialect "NT LM 0.12": an SMB2-only server cannot pick
// SMB2 from it.
func Negotiate1Request() []byte {
	h := make([]byte, 32)
	copy(h, "\xffSMB")
	h[4] = 0x72                                   // NEGOTIATE
	h[9] = 0x18                                   // canonical, case-insensitive paths
	binary.LittleEndian.PutUint16(h[10:], 0xc801) // unicode, NT status, extended security, long names
	binary.LittleEndian.PutUint16(h[26:], 0xfeff) // PID
	dialect := append([]byte{0x02}, "NT LM 0.12\x00"...)
	h = append(h, 0) // word count
	h = binary.LittleEndian.AppendUint16(h, uint16(len(dialect)))
	return append(h, dialect...)
}

// Negotiate2Request is an SMB2 NEGOTIATE ([MS-SMB2] 2.2.3) offering 2.0.2
// to 3.0.2 with signing enabled, not required.
func Negotiate2Request() []byte {
	h := make([]byte, 64)
	copy(h, "\xfeSMB")
	binary.LittleEndian.PutUint16(h[4:], 64)
	dialects := []uint16{0x0202, 0x0210, 0x0300, 0x0302}
	body := make([]byte, 36)
	binary.LittleEndian.PutUint16(body[0:], 36)
	binary.LittleEndian.PutUint16(body[2:], uint16(len(dialects)))
	binary.LittleEndian.PutUint16(body[4:], 0x01) // signing enabled
	copy(body[12:28], "ajar-audit-smb!!")         // client GUID
	b := append(h, body...)
	for _, d := range dialects {
		b = binary.LittleEndian.AppendUint16(b, d)
	}
	return b
}

// JudgeSMB1 judges the answer to Negotiate1Request: an SMB1 NEGOTIATE
// response that picks the dialect (index 0) means SMBv1 is on.
func JudgeSMB1(msg []byte) ([]record.Finding, error) {
	if len(msg) < 37 || !bytes.HasPrefix(msg, []byte("\xffSMB")) || msg[4] != 0x72 ||
		binary.LittleEndian.Uint32(msg[5:]) != 0 || msg[32] < 1 || binary.LittleEndian.Uint16(msg[33:]) != 0 {
		return nil, audit.ErrNotApplicable
	}
	return []record.Finding{{
		ID: "smb-v1-enabled", Category: record.KnownVulnerability, Severity: record.Medium,
		Title:    "SMB server still speaks SMBv1, the protocol of EternalBlue and WannaCry",
		Evidence: audit.Evidence([]byte(fmt.Sprintf("SMB1 NEGOTIATE offering only \"NT LM 0.12\": accepted (dialect index 0, security mode 0x%02x)", msg[35]))),
		Remediation: "turn SMB1 off: Samba `server min protocol = SMB2_10` (the default since 4.11 is SMB2_02); Windows " +
			"`Set-SmbServerConfiguration -EnableSMB1Protocol $false` or remove the SMB1 feature",
		References: []string{"CVE-2017-0144", "MS17-010", "https://learn.microsoft.com/windows-server/storage/file-server/troubleshoot/detect-enable-and-disable-smbv1-v2-v3"},
		Confidence: record.Confirmed,
	}}, nil
}

// JudgeSMB2Signing judges an SMB2 NEGOTIATE response: a security mode
// without "signing required" (0x02) lets a man in the middle change or
// relay the messages of every session that does not ask for signing.
func JudgeSMB2Signing(msg []byte) ([]record.Finding, error) {
	if len(msg) < 64+6 || !bytes.HasPrefix(msg, []byte("\xfeSMB")) || binary.LittleEndian.Uint16(msg[12:]) != 0 ||
		binary.LittleEndian.Uint32(msg[8:]) != 0 || binary.LittleEndian.Uint16(msg[64:]) != 65 {
		return nil, audit.ErrNotApplicable
	}
	mode := binary.LittleEndian.Uint16(msg[66:])
	dialect := binary.LittleEndian.Uint16(msg[68:])
	if mode&0x02 != 0 {
		return nil, audit.ErrNotApplicable
	}
	return []record.Finding{{
		ID: "smb-signing-not-required", Category: record.Cleartext, Severity: record.Medium,
		Title: "SMB server does not require message signing: sessions can be tampered with or NTLM-relayed",
		Evidence: audit.Evidence([]byte(fmt.Sprintf("SMB2 NEGOTIATE: dialect %d.%d.%d, security mode 0x%02x (signing enabled %v, required false)",
			dialect>>8, dialect>>4&0xf, dialect&0xf, mode, mode&0x01 != 0))),
		Remediation: "require signing: Samba `server signing = mandatory`; Windows Group Policy \"Microsoft network server: " +
			"Digitally sign communications (always)\" (`Set-SmbServerConfiguration -RequireSecuritySignature $true`)",
		References: []string{"CWE-924", "https://learn.microsoft.com/windows-server/storage/file-server/smb-signing-overview"},
		Confidence: record.Confirmed,
	}}, nil
}

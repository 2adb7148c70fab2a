package smb

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/ajarsec/ajar/fingerprint"
)

// SMB1 ([MS-CIFS], [MS-SMB]) constants.
const (
	smb1HeaderLen        = 32
	smb1Magic            = "\xffSMB"
	smb1Negotiate        = 0x72
	smb1SessionSetupAndX = 0x73
	flags2LongNames      = 0x0001
	flags2ExtendedSec    = 0x0800
	flags2NTStatus       = 0x4000
	flags2Unicode        = 0x8000
	capUnicode           = 0x00000004
	capNTStatus          = 0x00000040
	capExtendedSecurity  = 0x80000000
	smb1Flags2           = flags2LongNames | flags2ExtendedSec | flags2NTStatus | flags2Unicode
	secModeUserLevel     = 0x01
	secModeSignRequired  = 0x08
	secModeSignEnabled   = 0x04
	dialectNTLM012       = "NT LM 0.12"
)

// negotiateDialects1 are offered in the SMB1 NEGOTIATE: "NT LM 0.12" for
// SMB1 servers, and the two SMB2 names with which an SMB2 server answers
// in SMB2 ([MS-SMB2] 3.3.5.3.1), whether or not it still speaks SMB1.
var negotiateDialects1 = []string{dialectNTLM012, "SMB 2.002", "SMB 2.???"}

func smb1Header(cmd byte) []byte {
	h := make([]byte, smb1HeaderLen)
	copy(h, smb1Magic)
	h[4] = cmd
	h[9] = 0x18 // case-insensitive, canonicalized paths
	binary.LittleEndian.PutUint16(h[10:], smb1Flags2)
	binary.LittleEndian.PutUint16(h[26:], 0xfeff) // PID
	return h
}

// negotiate1 is the SMB1 NEGOTIATE request that offers SMB1 and SMB2.
func negotiate1() []byte {
	b := smb1Header(smb1Negotiate)
	var dialects []byte
	for _, d := range negotiateDialects1 {
		dialects = append(dialects, 0x02)
		dialects = append(dialects, d...)
		dialects = append(dialects, 0)
	}
	b = append(b, 0) // word count
	b = binary.LittleEndian.AppendUint16(b, uint16(len(dialects)))
	return append(b, dialects...)
}

// Negotiate1 is what an SMB1 NEGOTIATE response (NT LM 0.12) says.
type Negotiate1 struct {
	DialectIndex int
	SecurityMode byte
	Capabilities uint32
	ExtendedSec  bool
	ServerGUID   [16]byte
	SecurityBlob []byte
	Domain, Name string
	unicode      bool
}

// parseHeader1 reads an SMB1 response header: command, NT status and
// parameters and data after it.
func parseHeader1(msg []byte, cmd byte) (status uint32, flags2 uint16, words, data []byte, err error) {
	if len(msg) < smb1HeaderLen+3 || string(msg[:4]) != smb1Magic || msg[4] != cmd || msg[9]&0x80 == 0 {
		return 0, 0, nil, nil, fingerprint.ErrNoMatch
	}
	status = binary.LittleEndian.Uint32(msg[5:])
	flags2 = binary.LittleEndian.Uint16(msg[10:])
	wc := int(msg[smb1HeaderLen])
	rest := msg[smb1HeaderLen+1:]
	if 2*wc+2 > len(rest) {
		return 0, 0, nil, nil, fingerprint.ErrNoMatch
	}
	words = rest[:2*wc]
	bc := int(binary.LittleEndian.Uint16(rest[2*wc:]))
	data = rest[2*wc+2:]
	if bc > len(data) {
		return 0, 0, nil, nil, fingerprint.ErrNoMatch
	}
	return status, flags2, words, data[:bc], nil
}

// ParseNegotiate1 reads an SMB1 NEGOTIATE response (without the NetBIOS
// header).
func ParseNegotiate1(msg []byte) (*Negotiate1, error) {
	status, flags2, words, data, err := parseHeader1(msg, smb1Negotiate)
	if err != nil {
		return nil, err
	}
	if status != 0 {
		return nil, fmt.Errorf("smb: SMB1 negotiate status 0x%08x: %w", status, fingerprint.ErrNoMatch)
	}
	n := &Negotiate1{unicode: flags2&flags2Unicode != 0}
	if len(words) < 2 {
		return nil, fingerprint.ErrNoMatch
	}
	n.DialectIndex = int(binary.LittleEndian.Uint16(words))
	if n.DialectIndex == 0xffff {
		return n, nil // no dialect in common: still SMB
	}
	if n.DialectIndex >= len(negotiateDialects1) {
		return nil, fingerprint.ErrNoMatch
	}
	if len(words) != 34 {
		// Only NT LM 0.12 answers with 17 words; older dialects say
		// little.
		return n, nil
	}
	n.SecurityMode = words[2]
	n.Capabilities = binary.LittleEndian.Uint32(words[19:])
	challengeLen := int(words[33])
	if n.Capabilities&capExtendedSecurity != 0 {
		n.ExtendedSec = true
		if len(data) < 16 {
			return nil, fingerprint.ErrNoMatch
		}
		copy(n.ServerGUID[:], data)
		n.SecurityBlob = data[16:]
		return n, nil
	}
	if challengeLen > len(data) {
		return nil, fingerprint.ErrNoMatch
	}
	names := splitStrings(data[challengeLen:], n.unicode, 0, 2)
	if len(names) > 0 {
		n.Domain = names[0]
	}
	if len(names) > 1 {
		n.Name = names[1]
	}
	return n, nil
}

// sessionSetup1 is an SMB1 SESSION_SETUP_ANDX request with extended
// security carrying a security blob.
func sessionSetup1(blob []byte) []byte {
	b := smb1Header(smb1SessionSetupAndX)
	binary.LittleEndian.PutUint16(b[30:], 1) // MID
	w := make([]byte, 24)
	w[0] = 0xff                                 // no AndX command
	binary.LittleEndian.PutUint16(w[4:], 16644) // max buffer size
	binary.LittleEndian.PutUint16(w[6:], 2)     // max mpx count
	binary.LittleEndian.PutUint16(w[14:], uint16(len(blob)))
	binary.LittleEndian.PutUint32(w[20:], capUnicode|capNTStatus|capExtendedSecurity)
	b = append(b, 12)
	b = append(b, w...)
	data := append([]byte(nil), blob...)
	// Native OS and LAN manager, UTF-16LE, aligned to two bytes from the
	// header's start.
	if (len(b)+2+len(data))%2 != 0 {
		data = append(data, 0)
	}
	for _, s := range []string{"Unix", "ajar"} {
		for _, r := range s {
			data = append(data, byte(r), 0)
		}
		data = append(data, 0, 0)
	}
	b = binary.LittleEndian.AppendUint16(b, uint16(len(data)))
	return append(b, data...)
}

// SessionSetup1 is what an SMB1 SESSION_SETUP_ANDX response says.
type SessionSetup1 struct {
	SecurityBlob                          []byte
	NativeOS, NativeLanMan, PrimaryDomain string
}

// ParseSessionSetup1 reads an SMB1 SESSION_SETUP_ANDX response (without
// the NetBIOS header).
func ParseSessionSetup1(msg []byte) (*SessionSetup1, error) {
	status, flags2, words, data, err := parseHeader1(msg, smb1SessionSetupAndX)
	if err != nil {
		return nil, err
	}
	if status != statusMoreProcessing && status != 0 {
		return nil, fmt.Errorf("smb: SMB1 session setup status 0x%08x", status)
	}
	if len(words) != 8 {
		return nil, fingerprint.ErrNoMatch
	}
	bl := int(binary.LittleEndian.Uint16(words[6:]))
	if bl > len(data) {
		return nil, fingerprint.ErrNoMatch
	}
	s := &SessionSetup1{SecurityBlob: data[:bl]}
	// Strings start after the blob, aligned to two bytes from the SMB
	// header when they are Unicode.
	start := smb1HeaderLen + 1 + len(words) + 2 + bl
	strs := splitStrings(data[bl:], flags2&flags2Unicode != 0, start, 3)
	for i, p := range []*string{&s.NativeOS, &s.NativeLanMan, &s.PrimaryDomain} {
		if i < len(strs) {
			*p = strs[i]
		}
	}
	return s, nil
}

// splitStrings reads up to n NUL-terminated strings, UTF-16LE when
// unicode (then aligned to two bytes; off is b's offset in the message).
func splitStrings(b []byte, unicode bool, off, n int) []string {
	var out []string
	if unicode && off%2 != 0 && len(b) > 0 {
		b = b[1:]
	}
	for len(out) < n && len(b) > 0 {
		var end int
		if unicode {
			end = -1
			for i := 0; i+1 < len(b); i += 2 {
				if b[i] == 0 && b[i+1] == 0 {
					end = i
					break
				}
			}
			if end < 0 {
				end = len(b) &^ 1
			}
			out = append(out, utf16String(b[:end]))
			b = b[min(end+2, len(b)):]
		} else {
			if end = bytes.IndexByte(b, 0); end < 0 {
				end = len(b)
			}
			out = append(out, fingerprint.Printable(b[:end], maxNameRunes))
			b = b[min(end+1, len(b)):]
		}
	}
	return out
}

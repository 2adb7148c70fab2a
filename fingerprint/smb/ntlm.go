package smb

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"
	"unicode/utf16"

	"github.com/ajarsec/ajar/fingerprint"
)

// NTLMSSP ([MS-NLMP] section 2.2) constants.
const (
	ntlmSignature          = "NTLMSSP\x00"
	ntlmNegotiate          = 1
	ntlmChallenge          = 2
	flagUnicode            = 0x00000001
	flagOEM                = 0x00000002
	flagRequestTarget      = 0x00000004
	flagSign               = 0x00000010
	flagNTLM               = 0x00000200
	flagAlwaysSign         = 0x00008000
	flagExtendedSecurity   = 0x00080000
	flagTargetInfo         = 0x00800000
	flagVersion            = 0x02000000
	flag128                = 0x20000000
	flagKeyExchange        = 0x40000000
	flag56                 = 0x80000000
	avEOL                  = 0
	avNbComputerName       = 1
	avNbDomainName         = 2
	avDNSComputerName      = 3
	avDNSDomainName        = 4
	avDNSTreeName          = 5
	avTimestamp            = 7
	maxAVPairs             = 32
	challengeFixedLen      = 48
	challengeWithVersion   = 56
	negotiateFlags         = flagUnicode | flagOEM | flagRequestTarget | flagSign | flagNTLM | flagAlwaysSign | flagExtendedSecurity | flagTargetInfo | flagVersion | flag128 | flagKeyExchange | flag56
	maxNameRunes           = 256
	filetimeEpochOffset100 = 116444736000000000
)

// ntlmNegotiateMessage is an NTLMSSP NEGOTIATE (type 1) message with no
// domain or workstation, asking for the target's name, target
// information and version.
func ntlmNegotiateMessage() []byte {
	b := []byte(ntlmSignature)
	b = binary.LittleEndian.AppendUint32(b, ntlmNegotiate)
	b = binary.LittleEndian.AppendUint32(b, negotiateFlags)
	b = append(b, make([]byte, 16)...) // empty domain and workstation fields
	// Our version: 10.0 build 0, NTLM revision 15.
	return append(b, 10, 0, 0, 0, 0, 0, 0, 15)
}

// spnegoInit wraps an NTLMSSP token in a SPNEGO NegTokenInit offering
// NTLMSSP only (RFC 4178).
func spnegoInit(token []byte) []byte {
	ntlmOID := []byte{0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a}
	mechTypes := der(0xa0, der(0x30, ntlmOID))
	mechToken := der(0xa2, der(0x04, token))
	init := der(0xa0, der(0x30, append(mechTypes, mechToken...)))
	spnegoOID := []byte{0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02}
	return der(0x60, append(spnegoOID, init...))
}

// der encodes one DER element.
func der(tag byte, content []byte) []byte {
	b := []byte{tag}
	switch n := len(content); {
	case n < 0x80:
		b = append(b, byte(n))
	case n < 0x100:
		b = append(b, 0x81, byte(n))
	default:
		b = append(b, 0x82, byte(n>>8), byte(n))
	}
	return append(b, content...)
}

// Challenge is what an NTLMSSP CHALLENGE message says about the server.
type Challenge struct {
	Flags      uint32
	TargetName string
	// From the target information.
	NbComputer, NbDomain, DNSComputer, DNSDomain, DNSTree string
	Timestamp                                             time.Time
	// HasVersion says the Version field is present; then Major, Minor,
	// Build and Revision are the server's claimed OS version and NTLM
	// revision.
	HasVersion   bool
	Major, Minor byte
	Build        uint16
	Revision     byte
}

// findChallenge finds an NTLMSSP CHALLENGE inside a security blob (raw,
// or wrapped in SPNEGO, whose DER it does not need to read).
func findChallenge(blob []byte) (*Challenge, error) {
	sig := []byte(ntlmSignature)
	for off := 0; off < len(blob); {
		i := bytes.Index(blob[off:], sig)
		if i < 0 {
			break
		}
		msg := blob[off+i:]
		if len(msg) >= 12 && binary.LittleEndian.Uint32(msg[8:]) == ntlmChallenge {
			return ParseChallenge(msg)
		}
		off += i + len(sig)
	}
	return nil, fmt.Errorf("smb: no NTLMSSP challenge: %w", fingerprint.ErrNoMatch)
}

// ParseChallenge reads an NTLMSSP CHALLENGE (type 2) message; offsets are
// from its start.
func ParseChallenge(msg []byte) (*Challenge, error) {
	if len(msg) < challengeFixedLen || string(msg[:8]) != ntlmSignature ||
		binary.LittleEndian.Uint32(msg[8:]) != ntlmChallenge {
		return nil, fingerprint.ErrNoMatch
	}
	c := &Challenge{Flags: binary.LittleEndian.Uint32(msg[20:])}
	unicode := c.Flags&flagUnicode != 0
	if name, ok := field(msg, 12); ok {
		c.TargetName = decodeString(name, unicode)
	} else {
		return nil, fingerprint.ErrNoMatch
	}
	info, ok := field(msg, 40)
	if !ok {
		return nil, fingerprint.ErrNoMatch
	}
	if err := c.parseTargetInfo(info); err != nil {
		return nil, err
	}
	if c.Flags&flagVersion != 0 && len(msg) >= challengeWithVersion {
		v := msg[48:56]
		c.HasVersion = true
		c.Major, c.Minor, c.Build, c.Revision = v[0], v[1], binary.LittleEndian.Uint16(v[2:]), v[7]
	}
	return c, nil
}

// field reads a (length, max length, offset) field at off of msg.
func field(msg []byte, off int) ([]byte, bool) {
	l := int(binary.LittleEndian.Uint16(msg[off:]))
	start := int(binary.LittleEndian.Uint32(msg[off+4:]))
	if l == 0 {
		return nil, true
	}
	if start < challengeFixedLen || start > len(msg) || l > len(msg)-start {
		return nil, false
	}
	return msg[start : start+l], true
}

func (c *Challenge) parseTargetInfo(b []byte) error {
	for i := 0; len(b) > 0; i++ {
		if len(b) < 4 || i >= maxAVPairs {
			return fingerprint.ErrNoMatch
		}
		id, l := binary.LittleEndian.Uint16(b), int(binary.LittleEndian.Uint16(b[2:]))
		if l > len(b)-4 {
			return fingerprint.ErrNoMatch
		}
		v := b[4 : 4+l]
		b = b[4+l:]
		if id == avEOL {
			return nil
		}
		switch id {
		case avNbComputerName:
			c.NbComputer = utf16String(v)
		case avNbDomainName:
			c.NbDomain = utf16String(v)
		case avDNSComputerName:
			c.DNSComputer = utf16String(v)
		case avDNSDomainName:
			c.DNSDomain = utf16String(v)
		case avDNSTreeName:
			c.DNSTree = utf16String(v)
		case avTimestamp:
			if len(v) == 8 {
				c.Timestamp = filetime(binary.LittleEndian.Uint64(v))
			}
		}
	}
	return nil
}

// decodeString decodes UTF-16LE when unicode, else OEM (taken as ASCII).
func decodeString(b []byte, unicode bool) string {
	if unicode {
		return utf16String(b)
	}
	return fingerprint.Printable(b, maxNameRunes)
}

// utf16String decodes UTF-16LE, rendered printable and bounded.
func utf16String(b []byte) string {
	n := min(len(b)/2, maxNameRunes)
	u := make([]uint16, n)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	s := string(utf16.Decode(u))
	return fingerprint.Printable([]byte(s), 4*maxNameRunes)
}

// filetime converts a Windows FILETIME (100 ns since 1601) to a time; 0
// and out-of-range values are the zero time.
func filetime(ft uint64) time.Time {
	if ft <= filetimeEpochOffset100 || ft > filetimeEpochOffset100+(1<<62)/100 {
		return time.Time{}
	}
	d := ft - filetimeEpochOffset100
	return time.Unix(int64(d/10000000), int64(d%10000000)*100).UTC()
}

package smb

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
)

// SMB2 ([MS-SMB2] section 2.2) constants.
const (
	smb2HeaderLen        = 64
	smb2Magic            = "\xfeSMB"
	cmdNegotiate         = 0x0000
	cmdSessionSetup      = 0x0001
	flagServerToRedir    = 0x00000001
	statusSuccess        = 0x00000000
	statusMoreProcessing = 0xc0000016
	dialectWildcard      = 0x02ff
	negotiateRespLen     = 65
	sessionSetupRespLen  = 9
	signingEnabled       = 0x0001
	signingRequired      = 0x0002
	// Negotiate contexts.
	ctxPreauth    = 0x0001
	ctxEncryption = 0x0002
	hashSHA512    = 0x0001
)

// dialects are the SMB2 dialects offered, oldest first.
var dialects = []uint16{0x0202, 0x0210, 0x0300, 0x0302, 0x0311}

// capabilityNames are the SMB2 global capabilities.
var capabilityNames = []struct {
	bit  uint32
	name string
}{
	{0x01, "DFS"}, {0x02, "leasing"}, {0x04, "large MTU"}, {0x08, "multi-channel"},
	{0x10, "persistent handles"}, {0x20, "directory leasing"}, {0x40, "encryption"},
}

// smb2Header builds a request header.
func smb2Header(cmd uint16, messageID uint64) []byte {
	h := make([]byte, smb2HeaderLen)
	copy(h, smb2Magic)
	binary.LittleEndian.PutUint16(h[4:], smb2HeaderLen)
	binary.LittleEndian.PutUint16(h[12:], cmd)
	binary.LittleEndian.PutUint16(h[14:], 1) // credits requested
	binary.LittleEndian.PutUint64(h[24:], messageID)
	binary.LittleEndian.PutUint32(h[32:], 0xfeff) // process ID
	return h
}

// negotiate2 is an SMB2 NEGOTIATE request offering dialects 2.0.2 to
// 3.1.1, with the pre-authentication integrity and encryption contexts
// that 3.1.1 requires. guid and salt are the client's random values.
func negotiate2(messageID uint64, guid [16]byte, salt [32]byte) []byte {
	b := smb2Header(cmdNegotiate, messageID)
	body := make([]byte, 36)
	binary.LittleEndian.PutUint16(body[0:], 36)
	binary.LittleEndian.PutUint16(body[2:], uint16(len(dialects)))
	binary.LittleEndian.PutUint16(body[4:], signingEnabled)
	binary.LittleEndian.PutUint32(body[8:], 0x7f) // every capability
	copy(body[12:], guid[:])
	b = append(b, body...)
	for _, d := range dialects {
		b = binary.LittleEndian.AppendUint16(b, d)
	}
	var contexts [][]byte
	preauth := binary.LittleEndian.AppendUint16(nil, 1) // one hash
	preauth = binary.LittleEndian.AppendUint16(preauth, uint16(len(salt)))
	preauth = binary.LittleEndian.AppendUint16(preauth, hashSHA512)
	contexts = append(contexts, negContext(ctxPreauth, append(preauth, salt[:]...)))
	// AES-128-GCM, AES-128-CCM, AES-256-GCM, AES-256-CCM.
	ciphers := []byte{4, 0, 2, 0, 1, 0, 4, 0, 3, 0}
	contexts = append(contexts, negContext(ctxEncryption, ciphers))
	for i, c := range contexts {
		for len(b)%8 != 0 {
			b = append(b, 0)
		}
		if i == 0 {
			binary.LittleEndian.PutUint32(b[smb2HeaderLen+28:], uint32(len(b)))
			binary.LittleEndian.PutUint16(b[smb2HeaderLen+32:], uint16(len(contexts)))
		}
		b = append(b, c...)
	}
	return b
}

func negContext(typ uint16, data []byte) []byte {
	c := binary.LittleEndian.AppendUint16(nil, typ)
	c = binary.LittleEndian.AppendUint16(c, uint16(len(data)))
	c = append(c, 0, 0, 0, 0)
	return append(c, data...)
}

// sessionSetup2 is an SMB2 SESSION_SETUP request carrying a security
// token.
func sessionSetup2(messageID uint64, token []byte) []byte {
	b := smb2Header(cmdSessionSetup, messageID)
	body := make([]byte, 24)
	binary.LittleEndian.PutUint16(body[0:], 25)
	body[3] = signingEnabled
	binary.LittleEndian.PutUint32(body[4:], 0x01) // DFS
	binary.LittleEndian.PutUint16(body[12:], smb2HeaderLen+24)
	binary.LittleEndian.PutUint16(body[14:], uint16(len(token)))
	b = append(b, body...)
	return append(b, token...)
}

// header2 is the part of an SMB2 response header that matters here.
type header2 struct {
	status    uint32
	command   uint16
	messageID uint64
}

// parseHeader2 reads an SMB2 response header.
func parseHeader2(msg []byte) (header2, error) {
	if len(msg) < smb2HeaderLen || string(msg[:4]) != smb2Magic ||
		binary.LittleEndian.Uint16(msg[4:]) != smb2HeaderLen ||
		binary.LittleEndian.Uint32(msg[16:])&flagServerToRedir == 0 {
		return header2{}, fingerprint.ErrNoMatch
	}
	return header2{
		status:    binary.LittleEndian.Uint32(msg[8:]),
		command:   binary.LittleEndian.Uint16(msg[12:]),
		messageID: binary.LittleEndian.Uint64(msg[24:]),
	}, nil
}

// Negotiate2 is what an SMB2 NEGOTIATE response says.
type Negotiate2 struct {
	Dialect      uint16
	SecurityMode uint16
	ServerGUID   [16]byte
	Capabilities uint32
	MaxTransact  uint32
	// SecurityBlob is the server's SPNEGO hint, if any.
	SecurityBlob []byte
}

// ParseNegotiate2 reads an SMB2 NEGOTIATE response (without the NetBIOS
// header).
func ParseNegotiate2(msg []byte) (*Negotiate2, error) {
	h, err := parseHeader2(msg)
	if err != nil {
		return nil, err
	}
	if h.command != cmdNegotiate || h.status != statusSuccess || len(msg) < smb2HeaderLen+negotiateRespLen-1 {
		return nil, fingerprint.ErrNoMatch
	}
	body := msg[smb2HeaderLen:]
	if binary.LittleEndian.Uint16(body) != negotiateRespLen {
		return nil, fingerprint.ErrNoMatch
	}
	n := &Negotiate2{
		SecurityMode: binary.LittleEndian.Uint16(body[2:]),
		Dialect:      binary.LittleEndian.Uint16(body[4:]),
		Capabilities: binary.LittleEndian.Uint32(body[24:]),
		MaxTransact:  binary.LittleEndian.Uint32(body[28:]),
	}
	if n.Dialect < 0x0202 || (n.Dialect > 0x0311 && n.Dialect != dialectWildcard) {
		return nil, fingerprint.ErrNoMatch
	}
	copy(n.ServerGUID[:], body[8:24])
	off, l := int(binary.LittleEndian.Uint16(body[56:])), int(binary.LittleEndian.Uint16(body[58:]))
	if l > 0 {
		if off < smb2HeaderLen || off > len(msg) || l > len(msg)-off {
			return nil, fingerprint.ErrNoMatch
		}
		n.SecurityBlob = msg[off : off+l]
	}
	return n, nil
}

// parseSessionSetup2 reads the security blob of an SMB2 SESSION_SETUP
// response that continues the exchange.
func parseSessionSetup2(msg []byte) ([]byte, error) {
	h, err := parseHeader2(msg)
	if err != nil {
		return nil, err
	}
	if h.command != cmdSessionSetup || len(msg) < smb2HeaderLen+8 {
		return nil, fingerprint.ErrNoMatch
	}
	if h.status != statusMoreProcessing {
		return nil, fmt.Errorf("smb: session setup status 0x%08x", h.status)
	}
	body := msg[smb2HeaderLen:]
	if binary.LittleEndian.Uint16(body) != sessionSetupRespLen {
		return nil, fingerprint.ErrNoMatch
	}
	off, l := int(binary.LittleEndian.Uint16(body[4:])), int(binary.LittleEndian.Uint16(body[6:]))
	if off < smb2HeaderLen || off > len(msg) || l > len(msg)-off {
		return nil, fingerprint.ErrNoMatch
	}
	return msg[off : off+l], nil
}

// dialectName renders a dialect revision: 0x0311 is "3.1.1".
func dialectName(d uint16) string {
	switch d {
	case 0x0202:
		return "2.0.2"
	case 0x0210:
		return "2.1"
	case 0x0300:
		return "3.0"
	case 0x0302:
		return "3.0.2"
	case 0x0311:
		return "3.1.1"
	case dialectWildcard:
		return "2.x"
	}
	return fmt.Sprintf("0x%04x", d)
}

func capabilityList(c uint32) string {
	var names []string
	for _, cn := range capabilityNames {
		if c&cn.bit != 0 {
			names = append(names, cn.name)
		}
	}
	return strings.Join(names, ",")
}

// guidString renders a GUID in its usual mixed-endian text form.
func guidString(g [16]byte) string {
	return fmt.Sprintf("%08x-%04x-%04x-%x-%x", binary.LittleEndian.Uint32(g[0:]),
		binary.LittleEndian.Uint16(g[4:]), binary.LittleEndian.Uint16(g[6:]), g[8:10], g[10:])
}

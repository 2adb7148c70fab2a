package tlsaudit

import (
	"crypto/ecdh"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
)

// The protocol versions, as on the wire. SSL 2.0 has its own hello
// (sslv2Hello); the others share the TLS record layer.
const (
	VersionSSL2  uint16 = 0x0002
	VersionSSL3  uint16 = 0x0300
	VersionTLS10 uint16 = 0x0301
	VersionTLS11 uint16 = 0x0302
	VersionTLS12 uint16 = 0x0303
	VersionTLS13 uint16 = 0x0304
)

// VersionName is a version's usual name: "SSLv3", "TLSv1.2".
func VersionName(v uint16) string {
	switch v {
	case VersionSSL2:
		return "SSLv2"
	case VersionSSL3:
		return "SSLv3"
	case VersionTLS10:
		return "TLSv1.0"
	case VersionTLS11:
		return "TLSv1.1"
	case VersionTLS12:
		return "TLSv1.2"
	case VersionTLS13:
		return "TLSv1.3"
	}
	return fmt.Sprintf("0x%04x", v)
}

// Record and handshake types (RFC 8446 sections 4 and 5.1).
const (
	recordAlert       = 21
	recordHandshake   = 22
	hsServerHello     = 2
	hsCertificate     = 11
	hsServerHelloDone = 14
)

// Extension numbers (IANA TLS ExtensionType Values).
const (
	extServerName        = 0
	extSupportedGroups   = 10
	extECPointFormats    = 11
	extSignatureAlgs     = 13
	extSupportedVersions = 43
	extKeyShare          = 51
	extRenegotiationInfo = 0xff01
)

// groups are the key exchange groups offered: x25519, the NIST curves
// and the finite-field groups of RFC 7919.
var groups = []uint16{0x001d, 0x0017, 0x0018, 0x0019, 0x001e, 0x0100, 0x0101}

// sigAlgs are the signature schemes offered (RFC 8446 4.2.3), SHA-1 and
// PKCS#1 ones included: a server with only an old certificate still
// answers.
var sigAlgs = []uint16{0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601,
	0x0807, 0x0808, 0x0201, 0x0203, 0x0202, 0x0402, 0x0502, 0x0602}

// ClientHello builds a whole TLS record holding a ClientHello for
// version (SSL 3.0 to TLS 1.3), offering suites in that order, naming
// sni (none when ""). A TLS 1.3 hello offers TLS 1.3 alone
// (supported_versions) with an x25519 key share; an SSL 3.0 hello
// carries no extensions.
func ClientHello(version uint16, suites []uint16, sni string) ([]byte, error) {
	if version == VersionTLS13 {
		return clientHello13(suites, sni)
	}
	var random [32]byte
	if _, err := rand.Read(random[:]); err != nil {
		return nil, err
	}
	legacy := min(version, VersionTLS12)
	var b cryptobyte.Builder
	b.AddUint8(1) // client_hello
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddUint16(legacy)
		b.AddBytes(random[:])
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {
			if version == VersionTLS13 {
				b.AddBytes(random[:]) // a legacy session id, as middleboxes expect
			}
		})
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, s := range suites {
				b.AddUint16(s)
			}
		})
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint8(0) }) // null compression
		if version != VersionSSL3 {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { helloExtensions(b, version, sni) })
		}
	})
	body, err := b.Bytes()
	if err != nil {
		return nil, err
	}
	return tlsRecord(recordHandshake, min(legacy, VersionTLS10), body), nil
}

// helloExtensions adds the extensions of a hello for version.
func helloExtensions(b *cryptobyte.Builder, version uint16, sni string) {
	ext := func(typ uint16, f func(*cryptobyte.Builder)) {
		b.AddUint16(typ)
		b.AddUint16LengthPrefixed(f)
	}
	if sni != "" {
		ext(extServerName, func(b *cryptobyte.Builder) {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				b.AddUint8(0) // host_name
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(sni)) })
			})
		})
	}
	ext(extSupportedGroups, func(b *cryptobyte.Builder) {
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, g := range groups {
				b.AddUint16(g)
			}
		})
	})
	ext(extECPointFormats, func(b *cryptobyte.Builder) {
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint8(0) })
	})
	ext(extSignatureAlgs, func(b *cryptobyte.Builder) {
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, s := range sigAlgs {
				b.AddUint16(s)
			}
		})
	})
	ext(extRenegotiationInfo, func(b *cryptobyte.Builder) { b.AddUint8(0) })
	if version != VersionTLS13 {
		return
	}
	ext(extSupportedVersions, func(b *cryptobyte.Builder) {
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint16(VersionTLS13) })
	})
}

// clientHello13 is ClientHello for TLS 1.3: the extensions, and a key
// share of a fresh x25519 key (the handshake stops at the ServerHello:
// the key is never used).
func clientHello13(suites []uint16, sni string) ([]byte, error) {
	key, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	var random [32]byte
	if _, err := rand.Read(random[:]); err != nil {
		return nil, err
	}
	var b cryptobyte.Builder
	b.AddUint8(1)
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddUint16(VersionTLS12)
		b.AddBytes(random[:])
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(random[:]) })
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, s := range suites {
				b.AddUint16(s)
			}
		})
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint8(0) })
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			helloExtensions(b, VersionTLS13, sni)
			b.AddUint16(extKeyShare)
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
					b.AddUint16(0x001d)
					b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(key.PublicKey().Bytes()) })
				})
			})
		})
	})
	body, err := b.Bytes()
	if err != nil {
		return nil, err
	}
	return tlsRecord(recordHandshake, VersionTLS10, body), nil
}

// Hello builds the hello for version (SSLv2 to TLS 1.3) offering suites.
func Hello(version uint16, suites []uint16, sni string) ([]byte, error) {
	switch version {
	case VersionSSL2:
		return sslv2Hello(), nil
	}
	return ClientHello(version, suites, sni)
}

func tlsRecord(typ uint8, version uint16, body []byte) []byte {
	out := make([]byte, 5, 5+len(body))
	out[0] = typ
	out[1], out[2] = byte(version>>8), byte(version)
	out[3], out[4] = byte(len(body)>>8), byte(len(body))
	return append(out, body...)
}

// sslv2Hello is an SSL 2.0 CLIENT-HELLO offering its seven cipher kinds
// (the SSL 2.0 draft, section C): a server that still speaks it answers
// SERVER-HELLO.
func sslv2Hello() []byte {
	specs := []byte{
		0x01, 0x00, 0x80, 0x02, 0x00, 0x80, 0x03, 0x00, 0x80, 0x04, 0x00, 0x80,
		0x05, 0x00, 0x80, 0x06, 0x00, 0x40, 0x07, 0x00, 0xc0,
	}
	challenge := make([]byte, 16)
	rand.Read(challenge)
	msg := []byte{1, 0x00, 0x02, 0, byte(len(specs)), 0, 0, 0, byte(len(challenge))}
	msg = append(append(msg, specs...), challenge...)
	return append([]byte{0x80 | byte(len(msg)>>8), byte(len(msg))}, msg...)
}

// ParseSSLv2 reports whether b starts an SSL 2.0 SERVER-HELLO that
// offers at least one cipher kind.
func ParseSSLv2(b []byte) bool {
	// 2-byte header, then type 4, session-id-hit, certificate type,
	// version 0x0002, certificate length, cipher specs length.
	if len(b) < 13 || b[0]&0x80 == 0 || b[2] != 4 {
		return false
	}
	return b[5] == 0x00 && b[6] == 0x02 && (int(b[9])<<8|int(b[10])) > 0
}

// ServerHello is what a server answered to a hello.
type ServerHello struct {
	Version uint16
	Suite   uint16
	// Alert is the alert the server sent instead, 0 for none; a refusal.
	Alert uint8
	// Certs are the certificates of a TLS 1.2 or older handshake, leaf
	// first, when the flight up to ServerHelloDone was read.
	Certs []*x509.Certificate
	// Done: ServerHelloDone was seen (the server's flight is whole).
	Done bool
}

// ErrShort is returned by ParseFlight when the bytes end before what
// is asked for was seen.
var ErrShort = errors.New("tlsaudit: flight incomplete")

// ParseFlight reads a server's records: an alert, or handshake messages
// from ServerHello on. With wantCerts it goes on to ServerHelloDone and
// parses the Certificate message; else it stops at the ServerHello. It
// returns ErrShort when b ends first, and another error for bytes that
// are not TLS.
func ParseFlight(b []byte, wantCerts bool) (ServerHello, error) {
	var sh ServerHello
	var hs []byte
	for len(b) > 0 {
		if len(b) < 5 {
			return sh, ErrShort
		}
		typ, n := b[0], int(b[3])<<8|int(b[4])
		if b[1] != 3 || n > 1<<14+2048 {
			return sh, fmt.Errorf("tlsaudit: not a TLS record (% x)", b[:5])
		}
		if len(b) < 5+n {
			return sh, ErrShort
		}
		body := b[5 : 5+n]
		b = b[5+n:]
		switch typ {
		case recordAlert:
			if len(body) < 2 {
				return sh, errors.New("tlsaudit: short alert")
			}
			sh.Alert = body[1]
			if sh.Alert == 0 {
				sh.Alert = 255 // close_notify: a refusal all the same
			}
			return sh, nil
		case recordHandshake:
			hs = append(hs, body...)
		default:
			return sh, fmt.Errorf("tlsaudit: unexpected record type %d", typ)
		}
		done, err := parseHandshakes(hs, &sh, wantCerts)
		if err != nil || done {
			return sh, err
		}
	}
	return sh, ErrShort
}

// parseHandshakes reads the whole handshake messages in hs into sh, and
// reports whether what is wanted has come.
func parseHandshakes(hs []byte, sh *ServerHello, wantCerts bool) (bool, error) {
	s := cryptobyte.String(hs)
	for !s.Empty() {
		var typ uint8
		var body cryptobyte.String
		if !s.ReadUint8(&typ) || !s.ReadUint24LengthPrefixed(&body) {
			return false, nil // the message goes on in the next record
		}
		switch typ {
		case hsServerHello:
			if err := parseServerHello(body, sh); err != nil {
				return false, err
			}
			if !wantCerts || sh.Version == VersionTLS13 {
				return true, nil
			}
		case hsCertificate:
			sh.Certs = parseCertificates(body)
		case hsServerHelloDone:
			sh.Done = true
			return true, nil
		}
	}
	return false, nil
}

func parseServerHello(body cryptobyte.String, sh *ServerHello) error {
	var random, sid []byte
	var comp uint8
	if !body.ReadUint16(&sh.Version) || !body.ReadBytes(&random, 32) ||
		!body.ReadUint8LengthPrefixed((*cryptobyte.String)(&sid)) || !body.ReadUint16(&sh.Suite) || !body.ReadUint8(&comp) {
		return errors.New("tlsaudit: malformed ServerHello")
	}
	var exts cryptobyte.String
	if body.Empty() || !body.ReadUint16LengthPrefixed(&exts) {
		return nil
	}
	for !exts.Empty() {
		var typ uint16
		var data cryptobyte.String
		if !exts.ReadUint16(&typ) || !exts.ReadUint16LengthPrefixed(&data) {
			return errors.New("tlsaudit: malformed ServerHello extensions")
		}
		var v uint16
		if typ == extSupportedVersions && data.ReadUint16(&v) {
			sh.Version = v
		}
	}
	return nil
}

// parseCertificates reads a TLS 1.2 Certificate message's chain; the
// certificates Go cannot parse are left out.
func parseCertificates(body cryptobyte.String) []*x509.Certificate {
	var list cryptobyte.String
	if !body.ReadUint24LengthPrefixed(&list) {
		return nil
	}
	var out []*x509.Certificate
	for !list.Empty() {
		var der cryptobyte.String
		if !list.ReadUint24LengthPrefixed(&der) {
			break
		}
		if c, err := x509.ParseCertificate(der); err == nil {
			out = append(out, c)
		}
	}
	return out
}

package record

import "time"

// Service is what is known of the service behind a port. The scan fills
// Name from the port table (Method "port-table"); service identification
// fills the rest.
type Service struct {
	Name       string   `json:"name"`
	Product    string   `json:"product,omitempty"`
	Version    string   `json:"version,omitempty"`
	ExtraInfo  string   `json:"extrainfo,omitempty"`
	CPE        []string `json:"cpe,omitempty"`
	Confidence int      `json:"confidence"`
	Method     string   `json:"method"`
	// Banner is what the service said first, escaped as
	// fingerprint.Printable does (CR, LF, tab and backslash as \r, \n,
	// \t, \\; other bytes outside printable ASCII as \xNN), so that it
	// is safe on a terminal and in a table. The JSON writers of package
	// report undo the escapes: their banner is the service's own text.
	Banner string `json:"banner,omitempty"`
	// Tunnel is "ssl" when the service runs inside TLS from the first
	// byte (https, imaps), as nmap writes it.
	Tunnel string `json:"tunnel,omitempty"`
	// TLS describes the TLS session, implicit or after STARTTLS.
	TLS *TLS `json:"tls,omitempty"`
	// Detail is what the plugin that named the service learnt beyond the
	// fields above, in a type of the plugin's own (an SSH server's host
	// keys and algorithms, say); nil when it has nothing more. It is
	// written as JSON, and read back from JSON as plain maps and slices.
	Detail any `json:"detail,omitempty"`
}

// TLS is what a TLS handshake showed of a service.
type TLS struct {
	Version     string `json:"version"` // TLSv1.3, TLSv1.2, ...
	CipherSuite string `json:"cipher_suite"`
	ALPN        string `json:"alpn,omitempty"`
	// StartTLS names the command that upgraded a cleartext session
	// (STARTTLS, STLS); empty for implicit TLS.
	StartTLS string `json:"starttls,omitempty"`
	// JA3S is the MD5 of JA3SString, the server's hello in the JA3S form
	// "version,cipher,extensions".
	JA3S       string       `json:"ja3s"`
	JA3SString string       `json:"ja3s_string"`
	Cert       *Certificate `json:"certificate,omitempty"`
}

// Certificate is the leaf certificate a TLS server presented.
type Certificate struct {
	Subject    string    `json:"subject"`
	SANs       []string  `json:"sans,omitempty"`
	Issuer     string    `json:"issuer"`
	NotBefore  time.Time `json:"not_before"`
	NotAfter   time.Time `json:"not_after"`
	SelfSigned bool      `json:"self_signed"`
	Expired    bool      `json:"expired"`
	KeyType    string    `json:"key_type"` // RSA, ECDSA, Ed25519
	KeyBits    int       `json:"key_bits"`
	SHA256     string    `json:"sha256"` // fingerprint of the DER certificate
}

package ssh

import "github.com/ajarsec/ajar/record"

// weakAlgo is an algorithm a server should no longer offer, with how bad
// and why.
type weakAlgo struct {
	sev record.Severity
	why string
}

// The weak algorithms, by kind, written from RFC 9142 (key exchange:
// MUST NOT / SHOULD NOT), RFC 8758 (RC4: MUST NOT), RFC 8332 and OpenSSH
// 8.8's release notes (ssh-rsa, SHA-1 signatures, off by default), RFC
// 4253 and RFC 4344 (CBC modes, the none cipher and MAC), and OpenSSH's
// release notes dropping DSA (OpenSSH 9.8) and the 64-bit block ciphers.
var (
	weakKex = map[string]weakAlgo{
		"diffie-hellman-group1-sha1":               {record.High, "1024-bit group and SHA-1 (RFC 9142: SHOULD NOT; Logjam)"},
		"rsa1024-sha1":                             {record.High, "1024-bit RSA and SHA-1 (RFC 9142: MUST NOT)"},
		"diffie-hellman-group-exchange-sha1":       {record.Medium, "SHA-1 (RFC 9142: SHOULD NOT)"},
		"diffie-hellman-group14-sha1":              {record.Low, "SHA-1 (RFC 9142: MAY, being phased out)"},
		"gss-group1-sha1-toWM5Slw5Ew8Mqkay+al2g==": {record.High, "1024-bit group and SHA-1 (RFC 9142)"},
		"ecdh-sha2-nistp192":                       {record.Medium, "a 192-bit curve"},
	}
	weakHostKey = map[string]weakAlgo{
		"ssh-dss":                      {record.Medium, "DSA: 1024-bit keys and SHA-1 (removed in OpenSSH 9.8)"},
		"ssh-rsa":                      {record.Low, "RSA signatures with SHA-1 (RFC 8332; off by default since OpenSSH 8.8)"},
		"ssh-rsa-cert-v01@openssh.com": {record.Low, "RSA certificate signatures with SHA-1"},
		"ssh-dss-cert-v01@openssh.com": {record.Medium, "DSA certificates"},
	}
	weakCipher = map[string]weakAlgo{
		"none":                        {record.High, "no encryption (RFC 4253: NOT RECOMMENDED)"},
		"arcfour":                     {record.High, "RC4 (RFC 8758: MUST NOT)"},
		"arcfour128":                  {record.High, "RC4 (RFC 8758: MUST NOT)"},
		"arcfour256":                  {record.High, "RC4 (RFC 8758: MUST NOT)"},
		"des-cbc":                     {record.High, "56-bit DES"},
		"des-cbc@ssh.com":             {record.High, "56-bit DES"},
		"3des-cbc":                    {record.Medium, "64-bit blocks (Sweet32) in CBC mode"},
		"blowfish-cbc":                {record.Medium, "64-bit blocks (Sweet32) in CBC mode"},
		"cast128-cbc":                 {record.Medium, "64-bit blocks (Sweet32) in CBC mode"},
		"idea-cbc":                    {record.Medium, "64-bit blocks in CBC mode"},
		"aes128-cbc":                  {record.Low, "CBC mode (CVE-2008-5161 plaintext recovery)"},
		"aes192-cbc":                  {record.Low, "CBC mode (CVE-2008-5161 plaintext recovery)"},
		"aes256-cbc":                  {record.Low, "CBC mode (CVE-2008-5161 plaintext recovery)"},
		"rijndael-cbc@lysator.liu.se": {record.Low, "CBC mode"},
	}
	weakMAC = map[string]weakAlgo{
		"none":                         {record.High, "no integrity (RFC 4253: NOT RECOMMENDED)"},
		"hmac-md5":                     {record.Medium, "MD5"},
		"hmac-md5-96":                  {record.Medium, "MD5, truncated to 96 bits"},
		"hmac-md5-etm@openssh.com":     {record.Medium, "MD5"},
		"hmac-md5-96-etm@openssh.com":  {record.Medium, "MD5, truncated to 96 bits"},
		"hmac-ripemd160":               {record.Low, "RIPEMD-160, removed from OpenSSH"},
		"hmac-sha1-96":                 {record.Low, "SHA-1, truncated to 96 bits"},
		"hmac-sha1-96-etm@openssh.com": {record.Low, "SHA-1, truncated to 96 bits"},
		"hmac-sha1":                    {record.Low, "SHA-1"},
		"hmac-sha1-etm@openssh.com":    {record.Low, "SHA-1"},
		"umac-64@openssh.com":          {record.Low, "a 64-bit tag"},
		"umac-64-etm@openssh.com":      {record.Low, "a 64-bit tag"},
	}
)

// strictKexServer is the pseudo-algorithm a server lists among its key
// exchanges when it does OpenSSH's strict key exchange, the Terrapin
// countermeasure (OpenSSH 9.6 PROTOCOL, "kex-strict-s-v00@openssh.com").
const strictKexServer = "kex-strict-s-v00@openssh.com"

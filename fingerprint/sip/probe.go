package sip

import "github.com/ajarsec/ajar/fingerprint"

// scanOptions is the OPTIONS request a UDP port scan sends to port 5060,
// with the headers RFC 3261 requires. The Via's "rport" (RFC 3581) asks
// for the reply to go to the source address and port, which a static
// probe cannot name; .invalid (RFC 6761) stands for the names it does not
// know.
const scanOptions = "OPTIONS sip:ajar.invalid SIP/2.0\r\n" +
	"Via: SIP/2.0/UDP ajar.invalid;branch=z9hG4bK-ajar-probe;rport\r\n" +
	"Max-Forwards: 70\r\n" +
	"To: <sip:ajar.invalid>\r\n" +
	"From: <sip:ajar@ajar.invalid>;tag=ajar\r\n" +
	"Call-ID: ajar-probe@ajar.invalid\r\n" +
	"CSeq: 1 OPTIONS\r\n" +
	"Contact: <sip:ajar@ajar.invalid>\r\n" +
	"Accept: application/sdp\r\n" +
	"Content-Length: 0\r\n" +
	"\r\n"

func init() {
	fingerprint.RegisterUDPProbe(fingerprint.UDPProbe{
		Name: "sip", Ports: []uint16{5060}, Datagrams: [][]byte{[]byte(scanOptions)}, Rarity: 4,
	})
}

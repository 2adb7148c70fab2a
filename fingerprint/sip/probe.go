package sip

import "github.com/ajarsec/ajar/fingerprint"

// probeCallID is the Call-ID of the OPTIONS request a UDP port scan sends
// to port 5060. The request names no host: a static probe does not know
// the one it goes to, and .invalid (RFC 6761) stands for it; the Via's
// "rport" (RFC 3581) asks for the reply to go to the source address and
// port all the same.
const probeCallID = "ajarprobe-00000001"

func init() {
	fingerprint.RegisterUDPProbe(fingerprint.UDPProbe{
		Name: "sip", Ports: []uint16{5060}, Datagrams: [][]byte{Request(sentBy, "UDP", probeCallID)}, Rarity: 4,
	})
}

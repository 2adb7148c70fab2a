package ntp

import "github.com/ajarsec/ajar/fingerprint"

// probeOrigin is the transmit timestamp of the request a UDP port scan
// sends to port 123: any fixed nonzero value does.
const probeOrigin = 0xe9a1_4a52_616a_6172

func init() {
	fingerprint.RegisterUDPProbe(fingerprint.UDPProbe{
		Name: "ntp", Ports: []uint16{123}, Datagrams: [][]byte{ClientRequest(probeOrigin)}, Rarity: 2,
	})
}

package dns

import "github.com/ajarsec/ajar/fingerprint"

// probeID is the ID of the query a UDP port scan sends to port 53.
const probeID = 0x616a // "aj"

func init() {
	q, err := Query(probeID, "version.bind")
	if err != nil {
		panic(err)
	}
	// Servers that do not tell their version still answer version.bind,
	// with REFUSED or NOTIMP: any answer proves the port open.
	fingerprint.RegisterUDPProbe(fingerprint.UDPProbe{Name: "dns", Ports: []uint16{53}, Datagrams: [][]byte{q}, Rarity: 1})
}

package memcached

import "github.com/ajarsec/ajar/fingerprint"

func init() {
	// "version" rather than "stats": its answer is one short datagram.
	fingerprint.RegisterUDPProbe(fingerprint.UDPProbe{
		Name: "memcached", Ports: []uint16{11211}, Datagrams: [][]byte{UDPRequest()}, Rarity: 6,
	})
}

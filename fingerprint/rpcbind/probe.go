package rpcbind

import (
	"encoding/binary"

	"github.com/ajarsec/ajar/fingerprint"
)

func init() {
	fingerprint.RegisterUDPProbe(fingerprint.UDPProbe{
		Name: "rpcbind", Ports: []uint16{111}, Datagrams: [][]byte{NullCall(0x616a_7262)}, Rarity: 4,
	})
}

// NullCall is a NULL call (procedure 0) to the portmapper, program 100000
// version 2 (RFC 1833 §3), with no credentials: every portmapper answers
// it with an accepted reply. A UDP port scan sends it to port 111.
func NullCall(xid uint32) []byte {
	b := make([]byte, 0, 40)
	for _, v := range []uint32{xid, msgCall, 2, progPortmap, 2, 0, 0, 0, 0, 0} {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	return b
}

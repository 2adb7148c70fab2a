// Package snmp recognises SNMP agents (RFC 3416, RFC 3414) over UDP: a
// SNMPv2c and a SNMPv1 GET of sysDescr.0 and sysObjectID.0 with the
// community "public", and a SNMPv3 engine discovery, which agents answer
// without any community. The net-snmp agent shows itself by its
// sysObjectID (1.3.6.1.4.1.8072.3.2.N) or by the enterprise number 8072
// in its engine ID.
package snmp

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "snmp", Proto: portspec.UDP, Ports: []uint16{161}, Rarity: 4}
}

// community is the read community tried.
const community = "public"

// maxDatagrams bounds the datagrams read in one identification.
const maxDatagrams = 16

// Identify sends the three requests at once and reads answers until a
// community answer and the SNMPv3 report have both arrived, or the probe
// time is up. An agent that ignores our community (or SNMPv3) costs the
// probe time, and is still named by what it did answer.
func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	base := int32(rand.Uint32()>>2) + 1
	idV2c, idV1, idV3 := base, base+1, base+2
	for _, req := range [][]byte{
		GetRequest(Version2c, community, idV2c),
		GetRequest(Version1, community, idV1),
		DiscoveryRequest(idV3),
	} {
		if err := c.Write(req); err != nil {
			return nil, err
		}
	}
	var comm, v3 *Reply
	var err error
	buf := make([]byte, 4096)
	for range maxDatagrams {
		var n int
		if n, err = c.Read(buf); err != nil {
			break
		}
		r, perr := ParseReply(buf[:n])
		if perr != nil {
			continue
		}
		switch {
		case r.Version == Version2c && r.ID == int64(idV2c):
			comm = r
		case r.Version == Version1 && r.ID == int64(idV1) && comm == nil:
			comm = r
		case r.Version == Version3 && r.ID == int64(idV3):
			v3 = r
		}
		if comm != nil && v3 != nil {
			break
		}
		// One answer is in: the others come as fast or not at all.
		c.Shorten(250 * time.Millisecond)
	}
	if svc := Describe(comm, v3); svc != nil {
		return svc, nil
	}
	if err == nil || errors.Is(err, fingerprint.ErrBudget) {
		err = fingerprint.ErrNoMatch
	}
	return nil, err
}

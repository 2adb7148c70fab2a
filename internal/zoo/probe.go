//go:build linux

package zoo

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/ajarsec/ajar/portspec"
)

// probeTimeout bounds one readiness or reachability probe.
const probeTimeout = 300 * time.Millisecond

// maxReply bounds what a probe reads from a service.
const maxReply = 4096

// udpRequests are minimal requests each UDP service of the zoo answers,
// written from the protocols' RFCs, with a check of the reply.
var udpRequests = map[string]struct {
	request []byte
	check   func([]byte) error
}{
	"dns":     {dnsVersionBind(0x7a6f), checkDNS(0x7a6f)},
	"ntp":     {ntpClient(), checkNTP},
	"snmp":    {snmpGetSysDescr(), checkSNMP},
	"sip":     {[]byte(sipOptions), checkSIP},
	"rpcbind": {rpcNull(0x7a6f6f01), checkRPC(0x7a6f6f01)},
	"stun":    {stunBinding, checkSTUN},
}

// Probe checks that a service answers at addr: a TCP connection is
// accepted, or a UDP service answers its protocol's minimal request with
// a reply of that protocol. It returns the bytes a UDP service sent.
// Probe opens its socket in the calling thread's network namespace.
func Probe(ctx context.Context, s Service, addr netip.Addr) ([]byte, error) {
	ap := netip.AddrPortFrom(addr, s.Port)
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	var d net.Dialer
	switch s.Proto {
	case portspec.TCP:
		c, err := d.DialContext(ctx, "tcp", ap.String())
		if err != nil {
			return nil, err
		}
		if ready := tcpReady[s.Name]; ready != nil && !s.TLS {
			// A port open before the daemon serves: ask it.
			deadline, _ := ctx.Deadline()
			c.SetDeadline(deadline)
			err = ready(c)
		}
		return nil, errors.Join(err, c.Close())
	case portspec.UDP:
		req, ok := udpRequests[s.Name]
		if !ok {
			return nil, fmt.Errorf("zoo: no UDP request for %s", s.Name)
		}
		c, err := d.DialContext(ctx, "udp", ap.String())
		if err != nil {
			return nil, err
		}
		defer c.Close()
		deadline, _ := ctx.Deadline()
		c.SetDeadline(deadline)
		if _, err := c.Write(req.request); err != nil {
			return nil, err
		}
		buf := make([]byte, maxReply)
		n, err := c.Read(buf)
		if err != nil {
			return nil, err
		}
		return buf[:n], req.check(buf[:n])
	}
	return nil, fmt.Errorf("zoo: unknown protocol %v", s.Proto)
}

// readyPoll is the pause between two rounds of readiness probes.
const readyPoll = 50 * time.Millisecond

// waitReady probes every service from the scanner namespace until all
// answer, a daemon exits, or ctx ends.
func (z *Zoo) waitReady(ctx context.Context) error {
	pending := z.Services(Usual)
	var unready []*instance // their own readiness question, asked once their ports answer
	for _, in := range z.daemons {
		if in.def.ready != nil {
			unready = append(unready, in)
		}
	}
	return z.Bed.InScanner(func() error {
		for {
			var still []Service
			last := map[string]error{}
			for _, s := range pending {
				if _, err := Probe(ctx, s, z.Addr()); err != nil {
					still = append(still, s)
					last[s.Daemon] = fmt.Errorf("%d/%s: %w", s.Port, s.Proto, err)
				}
			}
			unready = z.askReady(ctx, unready, last)
			if pending = still; len(pending) == 0 && len(unready) == 0 {
				return nil
			}
			if err := z.Check(); err != nil {
				return err
			}
			select {
			case <-ctx.Done():
				var msgs []string
				for _, s := range pending {
					msgs = append(msgs, s.Daemon+" "+last[s.Daemon].Error()+z.instance(s.Daemon).logs())
				}
				for _, in := range unready {
					if !slices.ContainsFunc(pending, func(s Service) bool { return s.Daemon == in.def.name }) {
						msgs = append(msgs, in.def.name+" "+last[in.def.name].Error()+in.logs())
					}
				}
				return fmt.Errorf("zoo: not answering after start: %w:\n%s", ctx.Err(), strings.Join(msgs, "\n"))
			case <-time.After(readyPoll):
			}
		}
	})
}

// askReady asks each daemon's own readiness question (daemon.ready) once
// its ports answer, and returns those not ready yet, with why in last.
func (z *Zoo) askReady(ctx context.Context, unready []*instance, last map[string]error) []*instance {
	var still []*instance
	for _, in := range unready {
		if _, waiting := last[in.def.name]; waiting {
			still = append(still, in) // a port of its is not answering yet
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, probeTimeout)
		err := in.def.ready(pctx, z.Addr())
		cancel()
		if err != nil {
			still = append(still, in)
			last[in.def.name] = fmt.Errorf("not ready: %w", err)
		}
	}
	return still
}

func (z *Zoo) instance(name string) *instance {
	for _, in := range z.daemons {
		if in.def.name == name {
			return in
		}
	}
	return nil
}

// dnsVersionBind is a DNS query (RFC 1035) for version.bind, class CHAOS,
// type TXT.
func dnsVersionBind(id uint16) []byte {
	b := binary.BigEndian.AppendUint16(nil, id)
	b = append(b, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0) // RD; one question
	for _, label := range []string{"version", "bind"} {
		b = append(b, byte(len(label)))
		b = append(b, label...)
	}
	return append(b, 0, 0, 16, 0, 3) // root; TXT; CH
}

func checkDNS(id uint16) func([]byte) error {
	return func(b []byte) error {
		if len(b) < 12 || binary.BigEndian.Uint16(b) != id || b[2]&0x80 == 0 {
			return fmt.Errorf("not a DNS response to query %#x: % x", id, head(b))
		}
		return nil
	}
}

// ntpClient is an NTPv4 client request (RFC 5905): LI 0, version 4,
// mode 3, all else zero.
func ntpClient() []byte {
	b := make([]byte, 48)
	b[0] = 0<<6 | 4<<3 | 3
	return b
}

func checkNTP(b []byte) error {
	if len(b) < 48 || b[0]&7 != 4 {
		return fmt.Errorf("not an NTP server reply: % x", head(b))
	}
	return nil
}

// snmpGetSysDescr is an SNMPv2c GetRequest for sysDescr.0 with community
// "public".
func snmpGetSysDescr() []byte {
	return snmpGet([]byte{0x2b, 6, 1, 2, 1, 1, 1, 0}) // 1.3.6.1.2.1.1.1.0
}

// snmpGet is an SNMPv2c GetRequest (RFC 3416) for one object, given as
// the BER contents of its OID, with community "public".
func snmpGet(oid []byte) []byte {
	varbind := tlv(0x30, append(tlv(0x06, oid), 0x05, 0x00)) // value NULL
	pdu := tlv(0xa0, concat(
		[]byte{0x02, 0x01, 0x01}, // request-id 1
		[]byte{0x02, 0x01, 0x00}, // error-status
		[]byte{0x02, 0x01, 0x00}, // error-index
		tlv(0x30, varbind),
	))
	return tlv(0x30, concat([]byte{0x02, 0x01, 0x01}, tlv(0x04, []byte("public")), pdu)) // version 1 = v2c
}

func checkSNMP(b []byte) error {
	// A GetResponse PDU (0xa2) inside a SEQUENCE.
	if len(b) < 2 || b[0] != 0x30 || !bytes.Contains(b, []byte{0xa2}) {
		return fmt.Errorf("not an SNMP response: % x", head(b))
	}
	return nil
}

// sipOptions is a SIP OPTIONS request (RFC 3261) with the headers a
// server needs to answer it.
const sipOptions = "OPTIONS sip:zoo.test SIP/2.0\r\n" +
	"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-ajarzoo;rport\r\n" +
	"Max-Forwards: 70\r\n" +
	"From: <sip:probe@ajar.invalid>;tag=ajarzoo\r\n" +
	"To: <sip:zoo.test>\r\n" +
	"Call-ID: ajar-zoo-probe\r\n" +
	"CSeq: 1 OPTIONS\r\n" +
	"Content-Length: 0\r\n\r\n"

func checkSIP(b []byte) error {
	if !bytes.HasPrefix(b, []byte("SIP/2.0 ")) {
		return fmt.Errorf("not a SIP response: %q", head(b))
	}
	return nil
}

// rpcNull is an ONC RPC call (RFC 5531) of procedure 0 (NULL) of the
// portmapper, program 100000 version 2, with no credentials.
func rpcNull(xid uint32) []byte {
	var b []byte
	for _, v := range []uint32{xid, 0, 2, 100000, 2, 0, 0, 0, 0, 0} {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	return b
}

func checkRPC(xid uint32) func([]byte) error {
	return func(b []byte) error {
		// xid, REPLY (1), MSG_ACCEPTED (0)
		if len(b) < 24 || binary.BigEndian.Uint32(b) != xid || binary.BigEndian.Uint32(b[4:]) != 1 ||
			binary.BigEndian.Uint32(b[8:]) != 0 {
			return fmt.Errorf("not an RPC reply to %#x: % x", xid, head(b))
		}
		return nil
	}
}

// tlv encodes one BER element with a short or long definite length.
func tlv(tag byte, value []byte) []byte {
	b := []byte{tag}
	switch n := len(value); {
	case n < 0x80:
		b = append(b, byte(n))
	case n < 0x100:
		b = append(b, 0x81, byte(n))
	default:
		b = append(b, 0x82, byte(n>>8), byte(n))
	}
	return append(b, value...)
}

func concat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// head shortens a reply for an error message.
func head(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}

// stunBinding is a STUN Binding request (RFC 8489 section 5): type
// 0x0001, no attributes, the magic cookie and a transaction id.
var stunBinding = []byte{0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42, 'a', 'j', 'a', 'r', 'z', 'o', 'o', 's', 't', 'u', 'n', '1'}

func checkSTUN(b []byte) error {
	if len(b) < 20 || binary.BigEndian.Uint16(b) != 0x0101 || binary.BigEndian.Uint32(b[4:]) != 0x2112a442 {
		return fmt.Errorf("not a STUN Binding success response: % x", head(b))
	}
	if string(b[8:20]) != string(stunBinding[8:20]) {
		return errors.New("STUN response to another transaction")
	}
	return nil
}

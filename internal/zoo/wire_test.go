//go:build linux

package zoo

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/ajarsec/ajar/portspec"
)

// A wire check talks to one service the way a client of its protocol
// would, and wants every string of want in what comes back, "{V}" standing
// for the truth table's Version. It proves both the truth table (the
// version the daemon shows is the one derived from its package) and the
// layout (the service on the port is the one the table says).
type wireCheck struct {
	send []byte
	want []string
	// check, for UDP, checks the datagram's protocol as well.
	check func([]byte) error
}

// The ASN.1 contents of the Net-SNMP versionTag OID 1.3.6.1.4.1.2021.100.2.0.
var versionTagOID = []byte{0x2b, 6, 1, 4, 1, 0x8f, 0x65, 0x64, 2, 0}

const httpGet = "GET / HTTP/1.0\r\nHost: zoo.test\r\n\r\n"

// wireChecks by daemon and protocol.
var wireChecks = map[string]wireCheck{
	"openssh/tcp":   {nil, []string{"SSH-2.0-OpenSSH_{V}"}, nil},
	"vsftpd/tcp":    {nil, []string{"220 (vsFTPd {V})"}, nil},
	"exim4/tcp":     {[]byte("EHLO probe.zoo.test\r\n"), []string{"ESMTP Exim {V}", "250-STARTTLS"}, nil},
	"dovecot/tcp":   {nil, []string{"Dovecot (Debian) ready"}, nil},
	"nginx/tcp":     {[]byte(httpGet), []string{"server: nginx/{V}"}, nil},
	"haproxy/tcp":   {[]byte(httpGet), []string{"server: nginx/{V}", "ajar zoo: nginx"}, nil},
	"apache2/tcp":   {[]byte(httpGet), []string{"server: apache/{V} (debian)", "ajar zoo: apache"}, nil},
	"telnet/tcp":    {nil, []string{"\xff"}, nil}, // IAC: option negotiation
	"vnc/tcp":       {nil, []string{"RFB 003.008\n"}, nil},
	"xrdp/tcp":      {rdpConnectionRequest, []string{"\x03\x00"}, nil},
	"samba/tcp":     {smbNegotiate, []string{"\xfeSMB"}, nil},
	"rsync/tcp":     {nil, []string{"@RSYNCD: "}, nil},
	"redis/tcp":     {[]byte("INFO server\r\n"), []string{"redis_version:{V}\r\n"}, nil},
	"memcached/tcp": {[]byte("version\r\n"), []string{"VERSION {V}\r\n"}, nil},
	// An SSLRequest: the zoo's PostgreSQL has no TLS and says 'N'.
	"postgresql/tcp":    {[]byte{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f}, []string{"N"}, nil},
	"mariadb/tcp":       {nil, []string{"{V}-MariaDB"}, nil},
	"mosquitto/tcp":     {mqttSysVersion, []string{"mosquitto version {V}"}, nil},
	"rabbitmq/tcp":      {[]byte("AMQP\x00\x00\x09\x01"), []string{"RabbitMQ", "{V}"}, nil},
	"nats/tcp":          {nil, []string{`"version":"{V}"`}, nil},
	"etcd/tcp":          {[]byte("GET /version HTTP/1.0\r\n\r\n"), []string{`"etcdserver":"{V}"`}, nil},
	"influxdb/tcp":      {[]byte("GET /ping HTTP/1.0\r\n\r\n"), []string{"x-influxdb-version: {V}\r\n"}, nil},
	"node-exporter/tcp": {[]byte("GET /metrics HTTP/1.0\r\n\r\n"), []string{"node_exporter_build_info{", `version="{V}"`}, nil},
	"slapd/tcp":         {ldapRootDSE(), []string{"OpenLDAProotDSE"}, nil},
	"dnsmasq/tcp":       {tcpDNS(dnsVersionBind(7)), []string{"dnsmasq-{V}"}, nil},
	"dnsmasq/udp":       {dnsVersionBind(7), []string{"dnsmasq-{V}"}, checkDNS(7)},
	"snmpd/udp":         {snmpGet(versionTagOID), []string{"{V}"}, checkSNMP},
	"chrony/udp":        {ntpClient(), nil, checkNTP}, // nothing names chrony
	"rpcbind/tcp":       {rpcRecord(rpcNull(0x7a6f6f02)), []string{"\x7a\x6f\x6f\x02\x00\x00\x00\x01"}, nil},
	"rpcbind/udp":       {rpcNull(0x7a6f6f03), nil, checkRPC(0x7a6f6f03)},
	"kamailio/tcp": {[]byte(strings.Replace(sipOptions, "SIP/2.0/UDP", "SIP/2.0/TCP", 1)),
		[]string{"SIP/2.0 200 OK", "Server: kamailio ({V} "}, nil},
	"kamailio/udp":  {[]byte(sipOptions), []string{"SIP/2.0 200 OK", "Server: kamailio ({V} "}, checkSIP},
	"squid/tcp":     {[]byte("GET http://zoo.invalid/ HTTP/1.0\r\n\r\n"), []string{"server: squid/{V}\r\n"}, nil},
	"tinyproxy/tcp": {[]byte("GET http://zoo.invalid/ HTTP/1.0\r\n\r\n"), []string{"server: tinyproxy/{V}\r\n"}, nil},
	"dante/tcp":     {[]byte{5, 1, 0}, []string{"\x05\x00"}, nil}, // SOCKS5: no authentication accepted
	"ngircd/tcp":    {[]byte("NICK zoo{N}\r\nUSER zoo 0 * :ajar zoo\r\n"), []string{"ngircd-{V}"}, nil},
	"prosody/tcp": {[]byte("<?xml version='1.0'?><stream:stream to='zoo.test' xmlns='jabber:client' " +
		"xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"), []string{"<stream:stream", "starttls"}, nil},
}

// rdpConnectionRequest is an X.224 Connection Request in TPKT (RFC 1006,
// MS-RDPBCGR 2.2.1.1) asking for TLS or CredSSP.
var rdpConnectionRequest = []byte{3, 0, 0, 19, 14, 0xe0, 0, 0, 0, 0, 0, 1, 0, 8, 0, 3, 0, 0, 0}

// smbNegotiate is an SMB1 Negotiate (MS-CIFS 2.2.4.52) offering SMB 2.002
// and 2.???, which an SMB2 server answers with an SMB2 Negotiate response.
var smbNegotiate = func() []byte {
	hdr := []byte{0xff, 'S', 'M', 'B', 0x72, 0, 0, 0, 0, 0x18, 0x53, 0xc8}
	hdr = append(hdr, make([]byte, 12)...)                // PID high, signature, reserved
	hdr = append(hdr, 0xff, 0xff, 0xfe, 0xff, 0, 0, 0, 0) // TID, PID, UID, MID
	var dialects []byte
	for _, d := range []string{"NT LM 0.12", "SMB 2.002", "SMB 2.???"} {
		dialects = append(append(append(dialects, 2), d...), 0)
	}
	msg := append(append(hdr, 0), byte(len(dialects)), 0) // word count 0, byte count
	msg = append(msg, dialects...)
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(msg))), msg...) // NetBIOS session header
}()

// mqttSysVersion is an MQTT 3.1.1 CONNECT then a SUBSCRIBE to
// $SYS/broker/version, whose retained message names the broker.
var mqttSysVersion = []byte("\x10\x0f\x00\x04MQTT\x04\x02\x00\x3c\x00\x03zoo" +
	"\x82\x18\x00\x01\x00\x13$SYS/broker/version\x00")

// ldapRootDSE is an LDAPv3 search (RFC 4511) of the root DSE for every
// user attribute, filter (objectClass=*).
func ldapRootDSE() []byte {
	req := concat(
		tlv(0x04, nil),                   // baseObject ""
		[]byte{0x0a, 1, 0},               // scope baseObject
		[]byte{0x0a, 1, 0},               // derefAliases never
		[]byte{0x02, 1, 0},               // sizeLimit
		[]byte{0x02, 1, 0},               // timeLimit
		[]byte{0x01, 1, 0},               // typesOnly false
		tlv(0x87, []byte("objectClass")), // present
		tlv(0x30, nil),                   // attributes: all user attributes
	)
	return tlv(0x30, concat([]byte{0x02, 1, 1}, tlv(0x63, req)))
}

// tcpDNS frames a DNS message for TCP (RFC 1035 4.2.2).
func tcpDNS(msg []byte) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(len(msg))), msg...)
}

// rpcRecord frames an RPC message for TCP: one last fragment (RFC 5531 11).
func rpcRecord(msg []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, 1<<31|uint32(len(msg))), msg...)
}

// maxWire bounds what a wire check reads (node-exporter's /metrics is the
// largest answer).
const maxWire = 8 << 20

// checkWire runs the service's wire check at addr, from the calling
// thread's namespace.
func checkWire(ctx context.Context, s Service, addr netip.Addr) error {
	// A daemon of several protocols has a check for each service.
	wc, ok := wireChecks[s.Daemon+"/"+s.Proto.String()+"/"+s.Name]
	if !ok {
		wc, ok = wireChecks[s.Daemon+"/"+s.Proto.String()]
	}
	if !ok {
		return fmt.Errorf("no wire check for %s/%s", s.Daemon, s.Proto)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	deadline, _ := ctx.Deadline()
	var d net.Dialer
	c, err := d.DialContext(ctx, strings.ToLower(s.Proto.String()), netip.AddrPortFrom(addr, s.Port).String())
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(deadline)
	if s.TLS {
		tc := tls.Client(c, &tls.Config{ServerName: "zoo.test", InsecureSkipVerify: true})
		if err := tc.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("TLS handshake: %w", err)
		}
		expired := time.Now().After(tc.ConnectionState().PeerCertificates[0].NotAfter)
		if expired != s.Expired {
			return fmt.Errorf("certificate expired: %v, want %v", expired, s.Expired)
		}
		c = tc
	}
	if len(wc.send) > 0 {
		// {N} makes each check's IRC nickname its own.
		send := bytes.ReplaceAll(wc.send, []byte("{N}"), strconv.AppendInt(nil, time.Now().UnixNano()%1e6, 10))
		// {P} is the port the service answers on.
		send = bytes.ReplaceAll(send, []byte("{P}"), strconv.AppendInt(nil, int64(s.Port), 10))
		if _, err := c.Write(send); err != nil {
			return err
		}
	}
	var want []string
	for _, w := range wc.want {
		want = append(want, asciiLower(strings.ReplaceAll(w, "{V}", s.Version)))
	}
	got, err := readUntil(c, want, s.Proto == portspec.UDP)
	if err != nil {
		return fmt.Errorf("%w; read %q", err, head(got))
	}
	if wc.check != nil {
		return wc.check(got)
	}
	return nil
}

// readUntil reads until every want is in what was read (compared in
// ASCII lower case), the peer closes, or the deadline passes; a UDP
// socket reads one datagram.
func readUntil(c net.Conn, want []string, datagram bool) ([]byte, error) {
	var got []byte
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		low := asciiLower(string(got))
		missing := ""
		for _, w := range want {
			if !strings.Contains(low, w) {
				missing = w
				break
			}
		}
		switch {
		case missing == "":
			return got, nil
		case datagram || errors.Is(err, io.EOF) || len(got) >= maxWire:
			return got, fmt.Errorf("no %q in the reply", missing)
		case err != nil:
			return got, fmt.Errorf("waiting for %q: %w", missing, err)
		}
	}
}

// asciiLower lowers ASCII letters only: replies are bytes, not UTF-8.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

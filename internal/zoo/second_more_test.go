//go:build linux

package zoo

import (
	"encoding/binary"
	"fmt"
)

// The wire checks of the second zoo's later daemons (second_more.go).
func init() {
	for k, wc := range map[string]wireCheck{
		"svnserve/tcp": {nil, []string{"( success ( 2 2 ( ", "edit-pipeline"}, nil},
		// Protocol v2 over git:// (gitprotocol-pack, gitprotocol-v2):
		// the capability advertisement names the agent.
		"git-daemon/tcp": {gitPkt("git-upload-pack /zoo.git\x00host=zoo.test\x00\x00version=2\x00"),
			[]string{"version 2\n", "agent=git/{V}"}, nil},
		"mpd/tcp":       {nil, []string{"OK MPD 0."}, nil},
		"tarantool/tcp": {nil, []string{"Tarantool {V} (Binary) "}, nil},
		// RFC 2229 3.10.4: SHOW SERVER.
		"dictd/tcp": {[]byte("SHOW SERVER\r\n"), []string{"220 ", " dictd {V}/", "114 server information", "ajar zoo: dictd"}, nil},
		// The X11 connection setup, little-endian, protocol 11.0, no
		// authorization: a success reply names the vendor.
		"xvfb/tcp":         {[]byte{'l', 0, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0}, []string{"The X.Org Foundation"}, checkX11Success},
		"munin-node/tcp":   {[]byte("version\n"), []string{"# munin node at zoo.test", "version: {V}"}, nil},
		"gmond/tcp":        {nil, []string{`<GANGLIA_XML VERSION="{V}" SOURCE="gmond">`}, nil},
		"zabbix-agent/tcp": {zabbixRequest("agent.version"), []string{"ZBXD\x01", "{V}"}, nil},
		"bind9/tcp":        {tcpDNS(dnsVersionBind(7)), []string{"{V}-", "-Debian"}, nil},
		"bind9/udp":        {dnsVersionBind(7), []string{"{V}-", "-Debian"}, checkDNS(7)},
		"knot/tcp":         {tcpDNS(dnsVersionBind(7)), []string{"Knot DNS {V}"}, nil},
		"knot/udp":         {dnsVersionBind(7), []string{"Knot DNS {V}"}, checkDNS(7)},
		// RFC 4120 7.2.2: over TCP, each message after its length.
		"krb5-kdc/tcp":      {krbRecord(krbASReq()), []string{"ZOO.TEST"}, nil},
		"krb5-kdc/udp":      {krbASReq(), []string{"ZOO.TEST"}, checkKRB},
		"mumble-server/tcp": {nil, []string{"{V}"}, nil}, // inside TLS: the Version message
		"mumble-server/udp": {mumblePing, nil, checkMumblePing},
		"coap-server/udp":   {coapGetRoot, []string{"libcoap"}, checkCoAP},
		"xl2tpd/udp":        {l2tpSCCRQ, []string{"xelerance.com", "zoo.test"}, checkSCCRP},
		// RFC 862, 867, 864 and 868 over UDP.
		"inetd-internal/udp/echo":    {[]byte(smallRequest), nil, checkEcho},
		"inetd-internal/udp/daytime": {[]byte(smallRequest), nil, checkCtime},
		"inetd-internal/udp/chargen": {[]byte(smallRequest), nil, checkChargen},
		"inetd-internal/udp/time":    {[]byte(smallRequest), nil, checkTime},
	} {
		wireChecks[k] = wc
	}
}

// gitPkt frames one pkt-line: four hex digits of length, then the data.
func gitPkt(s string) []byte { return []byte(fmt.Sprintf("%04x%s", len(s)+4, s)) }

// zabbixRequest frames a passive check's item key in the Zabbix protocol:
// "ZBXD", flags 1, the data's length in eight bytes little-endian.
func zabbixRequest(key string) []byte {
	b := append([]byte("ZBXD\x01"), binary.LittleEndian.AppendUint64(nil, uint64(len(key)))...)
	return append(b, key...)
}

func krbRecord(msg []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(msg))), msg...)
}

// checkX11Success wants a connection setup success (1) of protocol 11.
func checkX11Success(b []byte) error {
	if len(b) < 8 || b[0] != 1 || binary.LittleEndian.Uint16(b[2:]) != 11 {
		return fmt.Errorf("not an X11 setup success: % x", head(b))
	}
	return nil
}

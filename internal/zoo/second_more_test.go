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
		"xvfb/tcp":         {[]byte{'l', 0, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0}, []string{"The X.Org Foundation"}, checkX11Setup},
		"munin-node/tcp":   {[]byte("version\n"), []string{"# munin node at zoo.test", "version: {V}"}, nil},
		"gmond/tcp":        {nil, []string{`<GANGLIA_XML VERSION="{V}" SOURCE="gmond">`}, nil},
		"zabbix-agent/tcp": {zabbixRequest("agent.version"), []string{"ZBXD\x01", "{V}"}, nil},
		"knot/tcp":         {tcpDNS(dnsVersionBind(7)), []string{"Knot DNS {V}"}, nil},
		"knot/udp":         {dnsVersionBind(7), []string{"Knot DNS {V}"}, checkDNS(7)},
		// RFC 4120 7.2.2: over TCP, each message after its length.
		"krb5-kdc/tcp":      {krbRecord(krbASReq()), []string{"ZOO.TEST"}, nil},
		"krb5-kdc/udp":      {krbASReq(), []string{"ZOO.TEST"}, checkKRB},
		"mumble-server/tcp": {nil, []string{"{V}"}, nil}, // inside TLS: the Version message
		"mumble-server/udp": {mumblePing, nil, checkMumblePing},
		// RFC 2637 2.1: a Start-Control-Connection-Request.
		"pptpd/tcp":       {pptpSCCRQ(), []string{"\x00\x9c\x00\x01\x1a\x2b\x3c\x4d\x00\x02", "linux"}, nil},
		"coap-server/udp": {coapGetRoot, []string{"libcoap"}, checkCoAP},
		"coap-server/tcp": {[]byte("\x00\xe1\x02\x01zo"), []string{"\xe1", "libcoap"}, nil},
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

// pptpSCCRQ is a PPTP Start-Control-Connection-Request of 156 bytes,
// protocol 1.0, host and vendor "zoo".
func pptpSCCRQ() []byte {
	b := []byte{0, 156, 0, 1, 0x1a, 0x2b, 0x3c, 0x4d, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0}
	name := make([]byte, 64)
	copy(name, "zoo")
	return append(append(b, name...), name...)
}

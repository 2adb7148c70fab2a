//go:build linux

package zoo

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"
)

// secondTools: version control, a music daemon, a database and a
// dictionary server, and an X server.
func secondTools() []*daemon {
	return []*daemon{{
		// svnserve's greeting names its protocol versions and
		// capabilities, never the product's version.
		name: "svnserve", pkg: "subversion", product: "",
		services: []svcDef{tcp("svn", "svn", 3690)},
		prepare: func(_ context.Context, in *instance) error {
			return in.mkdirs("repos")
		},
		argv: func(in *instance) []string {
			return []string{"svnserve", "-d", "--foreground", "--listen-host", "0.0.0.0",
				"--listen-port", in.port("svn"), "-r", in.file("repos")}
		},
	}, {
		name: "git-daemon", pkg: "git", product: "",
		services: []svcDef{tcp("git", "git", 9418)},
		prepare: func(ctx context.Context, in *instance) error {
			if err := in.mkdirs("repos"); err != nil {
				return err
			}
			return in.run(ctx, "git", "init", "-q", "--bare", in.file("repos/zoo.git"))
		},
		argv: func(in *instance) []string {
			return []string{"git", "daemon", "--reuseaddr", "--listen=0.0.0.0", "--port=" + in.port("git"),
				"--base-path=" + in.file("repos"), "--export-all", in.file("repos")}
		},
	}, {
		// MPD's greeting carries its protocol's version (0.23.5 for
		// MPD 0.23.12), not the daemon's.
		name: "mpd", pkg: "mpd", product: "Music Player Daemon", reveal: "greeting", hideVersion: true,
		services: []svcDef{tcp("mpd", "mpd", 6600)},
		prepare: func(_ context.Context, in *instance) error {
			return in.mkdirs("music")
		},
		argv: func(in *instance) []string {
			return []string{"mpd", "--no-daemon", "--stderr", in.file("mpd.conf")}
		},
	}, {
		name: "tarantool", pkg: "tarantool", product: "Tarantool", reveal: "greeting",
		services: []svcDef{tcp("iproto", "tarantool", 3301)},
		prepare: func(_ context.Context, in *instance) error {
			return in.mkdirs("data")
		},
		argv: func(in *instance) []string {
			return []string{"tarantool", in.file("zoo.lua")}
		},
	}, {
		// RFC 2229: a 220 greeting, like FTP's and SMTP's.
		name: "dictd", pkg: "dictd", product: "dictd", reveal: "greeting",
		services: []svcDef{tcp("dict", "dict", 2628)},
		// dictd names each client by getnameinfo and drops those it
		// cannot name.
		prepare: writeHosts,
		argv: func(in *instance) []string {
			return withHosts(in, "dictd", "-d", "nodetach", "-c", in.file("dictd.conf"))
		},
	}, {
		// Xvfb on display 0, over TCP, open to every client (-ac): the
		// connection setup's vendor and release name it.
		name: "xvfb", pkg: "xvfb", product: "X.Org", reveal: "connection setup vendor and release",
		services: []svcDef{tcp("x11", "x11", 6000)},
		tmpfs:    []string{"/tmp"},
		argv: func(in *instance) []string {
			return []string{"Xvfb", ":" + fmt.Sprint(in.data.Port["x11"]-6000), "-listen", "tcp",
				"-nolisten", "unix", "-ac", "-noreset", "-screen", "0", "320x200x8"}
		},
	}}
}

// secondMonitor: monitoring agents that answer whoever asks.
func secondMonitor() []*daemon {
	return []*daemon{{
		name: "munin-node", pkg: "munin-node", product: "Munin node", reveal: "version command",
		services: []svcDef{tcp("munin", "munin", 4949)},
		argv: func(in *instance) []string {
			return []string{"munin-node", "--config", in.file("munin-node.conf")}
		},
	}, {
		name: "gmond", pkg: "ganglia-monitor", product: "Ganglia gmond", reveal: "XML dump",
		services: []svcDef{tcp("gmond", "ganglia", 8649)},
		argv: func(in *instance) []string {
			return []string{"gmond", "-f", "-c", in.file("gmond.conf")}
		},
	}, {
		name: "zabbix-agent", pkg: "zabbix-agent", product: "Zabbix agent", reveal: "agent.version item",
		services: []svcDef{tcp("zabbix", "zabbix-agent", 10050)},
		argv: func(in *instance) []string {
			return []string{"zabbix_agentd", "-f", "-c", in.file("zabbix_agentd.conf")}
		},
	}}
}

// secondNet: another name server, a Kerberos KDC and a voice chat
// server, each on TCP and UDP, CoAP and PPTP. (BIND was here, and left:
// its UDP answers on a shuffled port went missing now and then, which is
// not understood yet.)
func secondNet() []*daemon {
	return []*daemon{{
		name: "knot", pkg: "knot", product: "Knot DNS", reveal: "version.bind",
		services: []svcDef{tcp("dns", "dns", 5053), udp("dns", "dns", 5053)},
		prepare: func(_ context.Context, in *instance) error {
			return in.mkdirs("db")
		},
		argv: func(in *instance) []string {
			return []string{"knotd", "-c", in.file("knot.conf")}
		},
	}, {
		// An MIT KDC of realm ZOO.TEST: its errors name the realm, not
		// the product.
		name: "krb5-kdc", pkg: "krb5-kdc", product: "",
		services: []svcDef{tcp("kerberos", "kerberos", 88), udp("kerberos", "kerberos", 88)},
		prepare: func(ctx context.Context, in *instance) error {
			return in.run(ctx, "env", "KRB5_CONFIG="+in.file("krb5.conf"), "KRB5_KDC_PROFILE="+in.file("kdc.conf"),
				"kdb5_util", "create", "-s", "-r", "ZOO.TEST", "-P", "ajar-zoo-master", "-d", in.file("principal"))
		},
		env: func(in *instance) []string {
			return []string{"KRB5_CONFIG=" + in.file("krb5.conf"), "KRB5_KDC_PROFILE=" + in.file("kdc.conf")}
		},
		argv: func(in *instance) []string {
			return []string{"krb5kdc", "-n", "-r", "ZOO.TEST"}
		},
	}, {
		// Murmur speaks TLS on TCP and answers a ping on UDP, on one
		// port number; it drops root for its own user.
		name: "mumble-server", pkg: "mumble-server", product: "Mumble server", reveal: "Version message, UDP ping",
		services: []svcDef{tlsTCP("mumble", "mumble", 64738), udp("mumbleu", "mumble", 64738)},
		owner:    "mumble-server",
		prepare: func(_ context.Context, in *instance) error {
			return in.mkdirs("db")
		},
		argv: func(in *instance) []string {
			return []string{"murmurd", "-fg", "-ini", in.file("murmur.ini")}
		},
	}, {
		// libcoap's example server, on UDP and TCP (RFC 8323): its root
		// resource names libcoap.
		name: "coap-server", pkg: "libcoap3-bin", product: "libcoap", reveal: "root resource", hideVersion: true,
		services: []svcDef{udp("coap", "coap", 5683), tcp("coap", "coap", 5683)},
		argv: func(in *instance) []string {
			return []string{"coap-server-notls", "-A", "0.0.0.0", "-p", in.port("coap")}
		},
	}, {
		// pptpd listens on 1723 only; its SCCRP says "linux", no product.
		name: "pptpd", pkg: "pptpd", product: "",
		services: []svcDef{tcp("pptp", "pptp", 1723)},
		argv: func(in *instance) []string {
			return []string{"pptpd", "-f", "-c", in.file("pptpd.conf"), "-p", in.file("pptpd.pid")}
		},
	}}
}

// writeHosts writes a hosts file that names the zoo's two addresses, for
// daemons that look their clients' names up.
func writeHosts(_ context.Context, in *instance) error {
	hosts := "127.0.0.1 localhost\n" + in.zoo.Bed.ScannerAddr4.String() + " scanner.zoo.test\n" +
		in.zoo.Bed.TargetAddr4.String() + " zoo.test\n"
	return os.WriteFile(in.file("hosts"), []byte(hosts), 0o644)
}

// withHosts runs argv with writeHosts's file as /etc/hosts, bound in the
// daemon's own mount namespace (ip netns exec makes one): the host's
// file does not change.
func withHosts(in *instance, argv ...string) []string {
	return append([]string{"sh", "-c", `mount --bind "$0" /etc/hosts && exec "$@"`, in.file("hosts")}, argv...)
}

func init() {
	// The readiness requests of the second zoo's UDP services.
	udpRequests["kerberos"] = struct {
		request []byte
		check   func([]byte) error
	}{krbASReq(), checkKRB}
	udpRequests["mumble"] = struct {
		request []byte
		check   func([]byte) error
	}{mumblePing, checkMumblePing}
	udpRequests["coap"] = struct {
		request []byte
		check   func([]byte) error
	}{coapGetRoot, checkCoAP}
	// Xvfb listens before its keymaps and fonts are loaded: ready when
	// a connection setup succeeds.
	tcpReady["x11"] = func(c net.Conn) error {
		if _, err := c.Write([]byte{'l', 0, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0}); err != nil {
			return err
		}
		b := make([]byte, 8)
		if _, err := io.ReadFull(c, b); err != nil {
			return err
		}
		return checkX11Setup(b)
	}
	// RFC 862, 867, 864, 868: any datagram draws an answer.
	for name, check := range map[string]func([]byte) error{"echo": checkEcho, "daytime": checkCtime, "chargen": checkChargen,
		"time": checkTime} {
		udpRequests[name] = struct {
			request []byte
			check   func([]byte) error
		}{[]byte(smallRequest), check}
	}
}

// smallRequest is the datagram sent to inetd's small UDP services.
const smallRequest = "ajar zoo\r\n"

func checkEcho(b []byte) error {
	if string(b) != smallRequest {
		return fmt.Errorf("not our datagram echoed: %q", head(b))
	}
	return nil
}

// checkChargen wants one line of RFC 864's rotating pattern.
func checkChargen(b []byte) error {
	line, ok := strings.CutSuffix(string(b), "\r\n")
	if !ok || len(line) < 16 {
		return fmt.Errorf("not a chargen line: %q", head(b))
	}
	for i := 1; i < len(line); i++ {
		if line[i] != line[i-1]+1 && !(line[i-1] == '~' && line[i] == ' ') {
			return fmt.Errorf("not the chargen pattern: %q", head(b))
		}
	}
	return nil
}

// krbASReq is a Kerberos AS-REQ (RFC 4120 5.4.1) for krbtgt/ZOO.TEST of
// the client "zoo", which the KDC answers with a KRB-ERROR (no such
// client, or preauthentication required).
func krbASReq() []byte {
	name := func(typ byte, parts ...string) []byte {
		var ss []byte
		for _, p := range parts {
			ss = append(ss, tlv(0x1b, []byte(p))...)
		}
		return tlv(0x30, concat(tlv(0xa0, []byte{2, 1, typ}), tlv(0xa1, tlv(0x30, ss))))
	}
	body := tlv(0x30, concat(
		tlv(0xa0, []byte{3, 5, 0, 0x50, 0, 0, 0}), // forwardable, renewable
		tlv(0xa1, name(1, "zoo")),
		tlv(0xa2, tlv(0x1b, []byte("ZOO.TEST"))),
		tlv(0xa3, name(2, "krbtgt", "ZOO.TEST")),
		tlv(0xa5, tlv(0x18, []byte("20370913024805Z"))),
		tlv(0xa7, []byte{2, 4, 0x7a, 0x6f, 0x6f, 0x31}),
		tlv(0xa8, tlv(0x30, []byte{2, 1, 18, 2, 1, 17})), // aes256, aes128
	))
	req := tlv(0x30, concat(tlv(0xa1, []byte{2, 1, 5}), tlv(0xa2, []byte{2, 1, 10}), tlv(0xa4, body)))
	return tlv(0x6a, req)
}

// checkKRB wants a KRB-ERROR or an AS-REP that names realm ZOO.TEST.
func checkKRB(b []byte) error {
	if len(b) < 2 || (b[0] != 0x7e && b[0] != 0x6b) || !strings.Contains(string(b), "ZOO.TEST") {
		return fmt.Errorf("not a Kerberos answer from realm ZOO.TEST: % x", head(b))
	}
	return nil
}

// mumblePing is Mumble's UDP ping: four zero bytes and an eight-byte
// identifier, which the reply carries back after the version.
var mumblePing = []byte{0, 0, 0, 0, 'a', 'j', 'a', 'r', 'z', 'o', 'o', '1'}

// checkMumblePing wants the 24-byte reply: version, our identifier,
// users, maximum users, bandwidth.
func checkMumblePing(b []byte) error {
	if len(b) != 24 || string(b[4:12]) != string(mumblePing[4:]) || binary.BigEndian.Uint32(b[16:]) == 0 {
		return fmt.Errorf("not a Mumble ping reply: % x", head(b))
	}
	return nil
}

// checkCtime wants a daytime answer in ctime's format, within a minute
// of now.
func checkCtime(b []byte) error {
	ts, err := time.ParseInLocation("Mon Jan _2 15:04:05 2006", strings.TrimSpace(string(b)), time.Local)
	if err != nil {
		return fmt.Errorf("not a ctime date: %w", err)
	}
	if d := time.Since(ts); d > time.Minute || d < -time.Minute {
		return fmt.Errorf("daytime says %v, %v from now", ts, d)
	}
	return nil
}

// checkTime wants RFC 868's four bytes, seconds since 1900, within a
// minute of now.
func checkTime(b []byte) error {
	if len(b) != 4 {
		return fmt.Errorf("%d bytes, want 4", len(b))
	}
	ts := time.Unix(int64(binary.BigEndian.Uint32(b))-2208988800, 0)
	if d := time.Since(ts); d > time.Minute || d < -time.Minute {
		return fmt.Errorf("time says %v, %v from now", ts, d)
	}
	return nil
}

// coapGetRoot is a confirmable CoAP GET of the root resource (RFC 7252
// 3): version 1, token "zo", message ID 0x7a6f.
var coapGetRoot = []byte{0x42, 0x01, 0x7a, 0x6f, 'z', 'o'}

// checkCoAP wants the acknowledgement of coapGetRoot with a 2.05 Content.
func checkCoAP(b []byte) error {
	if len(b) < 6 || b[0] != 0x62 || b[1] != 0x45 || string(b[2:6]) != "\x7a\x6fzo" {
		return fmt.Errorf("not a CoAP 2.05 to our GET: % x", head(b))
	}
	return nil
}

// checkX11Setup wants a connection setup answer of protocol 11: success
// (1), or Failed (0) from a server whose access control turns our
// address away (the audit zoo's twin).
func checkX11Setup(b []byte) error {
	if len(b) < 8 || b[0] > 1 || binary.LittleEndian.Uint16(b[2:]) != 11 {
		return fmt.Errorf("not an X11 connection setup answer: % x", head(b))
	}
	return nil
}

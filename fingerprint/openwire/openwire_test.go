package openwire

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// activemq5172 is the WireFormatInfo that ActiveMQ 5.17.2 (Debian 12's
// activemq package, openwire connector on loopback) sent on connect.
const activemq5172 = "\x00\x00\x01R\x01ActiveMQ\x00\x00\x00\x0c\x01\x00\x00\x01@\x00\x00\x00\r" +
	"\x00\x11StackTraceEnabled\x01\x01\x00\x0fPlatformDetails\t\x00\x04Java\x00\x0cCacheEnabled\x01\x01" +
	"\x00\x11TcpNoDelayEnabled\x01\x01\x00\x12SizePrefixDisabled\x01\x00\x00\tCacheSize\x05\x00\x00\x04\x00" +
	"\x00\x0cProviderName\t\x00\x08ActiveMQ\x00\x14TightEncodingEnabled\x01\x01" +
	"\x00\x0cMaxFrameSize\x06\x7f\xff\xff\xff\xff\xff\xff\xff" +
	"\x00\x15MaxInactivityDuration\x06\x00\x00\x00\x00\x00\x00u0" +
	"\x00 MaxInactivityDurationInitalDelay\x06\x00\x00\x00\x00\x00\x00'\x10" +
	"\x00\x13MaxFrameSizeEnabled\x01\x01\x00\x0fProviderVersion\t\x00\x065.17.2"

var others = []string{
	"",
	"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\n\r\n",
	"\x15\x03\x01\x00\x02\x02\x50",
	activemq5172[:16],
	strings.Replace(activemq5172, "ActiveMQ", "ActiveMX", 1),
	"\x00\x00\x01R\x02" + activemq5172[5:],                          // another command type
	"\x00\x00\x01R\x01ActiveMQ\x00\x00\x00\x00" + activemq5172[17:], // version 0
	"\x00\x10\x00\x00\x01ActiveMQ\x00\x00\x00\x0c",                  // size past the bound
}

func TestParse(t *testing.T) {
	svc, err := Parse([]byte(activemq5172))
	if err != nil || svc.Product != "Apache ActiveMQ" || svc.Version != "5.17.2" || svc.ExtraInfo != "OpenWire 12; Java" ||
		svc.CPE[0] != "cpe:2.3:a:apache:activemq:5.17.2:*:*:*:*:*:*:*" {
		t.Errorf("got %+v, %v", svc, err)
	}
	// Cut short, or with properties that do not parse: the magic names
	// the broker, without a version.
	for _, in := range []string{activemq5172[:100], activemq5172[:len(activemq5172)-3] + "\x00\x06"} {
		if svc, err := Parse([]byte(in)); err != nil || svc.Version != "" || svc.ExtraInfo != "OpenWire 12" {
			t.Errorf("Parse(%q) = %+v, %v", in, svc, err)
		}
	}
	fptest.NoMatch(t, "Parse", Parse, others...)
}

func FuzzParse(f *testing.F) {
	for _, s := range append([]string{activemq5172}, others...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { fptest.CheckParse(t, "Parse", Parse, b) })
}

func TestIdentifyLive(t *testing.T) {
	// The broker sends its frame in two pieces, the second after a
	// pause longer than the banner's.
	broker := fptest.Serve(t, func(c net.Conn) {
		c.Write([]byte(activemq5172[:60]))
		time.Sleep(200 * time.Millisecond)
		c.Write([]byte(activemq5172[60:]))
		c.Read(make([]byte, 1))
	})
	svc := fptest.MustMatch(t, plugin{}, broker)
	if svc.Version != "5.17.2" {
		t.Errorf("got %+v", svc)
	}
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, fptest.Reply([]byte("SSH-2.0-OpenSSH_9.2\r\n"), 0)))
}

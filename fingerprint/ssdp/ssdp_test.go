package ssdp

import (
	"bytes"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// answer is a search answer as MiniUPnPd 2.3 writes it (UDA 2.0
// §1.3.3's fields, this device's values).
const answer = "HTTP/1.1 200 OK\r\n" +
	"CACHE-CONTROL: max-age=120\r\n" +
	"ST: upnp:rootdevice\r\n" +
	"USN: uuid:3d3cec3a-8cf0-11e0-98ee-001a6bd2d07b::upnp:rootdevice\r\n" +
	"EXT:\r\n" +
	"SERVER: Debian/12 UPnP/1.1 MiniUPnPd/2.3.3\r\n" +
	"LOCATION: http://192.0.2.1:5000/rootDesc.xml\r\n" +
	"OPT: \"http://schemas.upnp.org/upnp/1/0/\"; ns=01\r\n" +
	"\r\n"

// miniupnpdCapture is miniupnpd 2.3.1 (Debian 12) answering Request in a
// test namespace: the first of its answers, for the gateway device.
const miniupnpdCapture = "HTTP/1.1 200 OK\r\n" +
	"CACHE-CONTROL: max-age=120\r\n" +
	"ST: urn:schemas-upnp-org:device:InternetGatewayDevice:2\r\n" +
	"USN: uuid:3d3cec3a-8cf0-11e0-98ee-001a6bd2d07b::urn:schemas-upnp-org:device:InternetGatewayDevice:2\r\n" +
	"EXT:\r\n" +
	"SERVER: Debian/6.18.44-fc-v1272 UPnP/1.1 MiniUPnPd/2.3.1\r\n" +
	"LOCATION: http://10.99.0.1:44851/rootDesc.xml\r\n" +
	"OPT: \"http://schemas.upnp.org/upnp/1/0/\"; ns=01\r\n" +
	"01-NLS: 1796406146\r\n" +
	"BOOTID.UPNP.ORG: 1796406146\r\n" +
	"CONFIGID.UPNP.ORG: 1337\r\n" +
	"\r\n"

func TestParse(t *testing.T) {
	for _, c := range []struct{ in, product, version, extra string }{
		{miniupnpdCapture, "MiniUPnPd", "2.3.1", "Debian/6.18.44-fc-v1272"},
		{answer, "MiniUPnPd", "2.3.3", "Debian/12"},
		{"HTTP/1.1 200 OK\r\nST: ssdp:all\r\nServer: Linux, UPnP/1.0, Portable SDK for UPnP devices/1.14.13\r\n\r\n", "Portable SDK for UPnP devices", "1.14.13", "Linux"},
		{"HTTP/1.1 200 OK\r\nUSN: uuid:x\r\n\r\n", "", "", ""},
	} {
		svc, err := Parse([]byte(c.in))
		if err != nil || svc.Product != c.product || svc.Version != c.version || svc.ExtraInfo != c.extra {
			t.Errorf("%q: %+v, %v", c.in, svc, err)
		}
	}
	fptest.NoMatch(t, "Parse", Parse,
		"",
		string(Request()), // echoed
		"HTTP/1.1 200 OK\r\nServer: nginx\r\n\r\n", // a web server: no ST, no USN
		"HTTP/1.1 404 Not Found\r\nST: x\r\n\r\n",
		"SIP/2.0 200 OK\r\nST: x\r\n\r\n",
		"\x00\x01\x02",
	)
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(answer))
	f.Fuzz(func(t *testing.T, b []byte) {
		if svc := fptest.CheckParse(t, "Parse", Parse, b); svc != nil && !bytes.HasPrefix(b, []byte("HTTP/1.")) {
			t.Errorf("%q taken", b)
		}
	})
}

func TestIdentify(t *testing.T) {
	svc := fptest.MustMatch(t, fptest.UDPPlugin(t, name), fptest.ServeUDP(t, func(b []byte) []byte {
		if bytes.HasPrefix(b, []byte("M-SEARCH * HTTP/1.1\r\n")) {
			return []byte(answer)
		}
		return nil
	}))
	if svc.Product != "MiniUPnPd" {
		t.Errorf("%+v", svc)
	}
	fptest.MustNotMatch(t, fptest.UDPPlugin(t, name), fptest.ServeUDP(t, func(b []byte) []byte { return b }))
}

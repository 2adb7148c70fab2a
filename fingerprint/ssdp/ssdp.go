// Package ssdp recognises UPnP devices by SSDP (UPnP Device Architecture
// 2.0 §1.3) over UDP: a unicast M-SEARCH for every device and service,
// which a device answers with "HTTP/1.1 200 OK" and its search target
// (ST), unique service name (USN) and SERVER header, "OS/version
// UPnP/2.0 product/version" ("Linux/6.1 UPnP/1.1 MiniUPnPd/2.3.3").
package ssdp

import (
	"bufio"
	"bytes"
	"net/textproto"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/record"
)

const (
	name   = "ssdp"
	port   = 1900
	rarity = 3
	// maxHeader bounds the bytes of an answer read.
	maxHeader = 4096
)

func init() {
	fingerprint.RegisterUDP(fingerprint.UDPProbe{Name: name, Ports: []uint16{port}, Datagrams: [][]byte{Request()}, Rarity: rarity}, Parse)
}

// Request is a search for every device and service. Devices that answer
// only multicast searches check HOST and MAN; MX bounds their random
// delay to one second.
func Request() []byte {
	return []byte("M-SEARCH * HTTP/1.1\r\n" +
		"HOST: 239.255.255.250:1900\r\n" +
		"MAN: \"ssdp:discover\"\r\n" +
		"MX: 1\r\n" +
		"ST: ssdp:all\r\n" +
		"\r\n")
}

// Parse reads a search answer: an HTTP/1.x 200 status line, then headers
// among which ST or USN; SERVER names the product. Anything else is
// ErrNoMatch.
func Parse(b []byte) (*record.Service, error) {
	b = b[:min(len(b), maxHeader)]
	r := textproto.NewReader(bufio.NewReader(bytes.NewReader(b)))
	line, err := r.ReadLine()
	if err != nil || !(strings.HasPrefix(line, "HTTP/1.1 200") || strings.HasPrefix(line, "HTTP/1.0 200")) {
		return nil, fingerprint.ErrNoMatch
	}
	h, err := r.ReadMIMEHeader()
	if err != nil && len(h) == 0 {
		return nil, fingerprint.ErrNoMatch
	}
	if h.Get("St") == "" && h.Get("Usn") == "" {
		return nil, fingerprint.ErrNoMatch
	}
	svc := &record.Service{Name: name, Confidence: 9}
	server(svc, clean(h.Get("Server")))
	return svc, nil
}

// server reads "OS/version UPnP/x.y product/version" (UDA 2.0 §1.3.3),
// which devices write in many ways: the product is the last token that is
// not UPnP's, the OS the first when there are more.
func server(svc *record.Service, s string) {
	// Commas, where a device uses them, keep a product's spaces.
	split := strings.Fields
	if strings.Contains(s, ",") {
		split = func(s string) []string { return strings.Split(s, ",") }
	}
	var toks []string
	for _, t := range split(s) {
		if t = strings.TrimSpace(t); t != "" && !strings.HasPrefix(strings.ToUpper(t), "UPNP/") {
			toks = append(toks, t)
		}
	}
	if len(toks) == 0 {
		return
	}
	prod := toks[len(toks)-1]
	if i := strings.LastIndexByte(prod, '/'); i > 0 {
		svc.Product, svc.Version = prod[:i], prod[i+1:]
	} else {
		svc.Product = prod
	}
	if len(toks) > 1 {
		svc.ExtraInfo = toks[0]
	}
}

// clean keeps printable ASCII, at most 200 bytes.
func clean(s string) string {
	var sb strings.Builder
	for i := range min(len(s), 200) {
		if c := s[i]; c >= 0x20 && c < 0x7f {
			sb.WriteByte(c)
		}
	}
	return strings.TrimSpace(sb.String())
}

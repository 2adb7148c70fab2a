// Package rtsp recognises RTSP servers (RFC 2326, RFC 7826) by their
// answer to "OPTIONS rtsp://<host>/ RTSP/1.0": the status line, the CSeq
// echoed back and the Server header naming the product.
package rtsp

import (
	"bytes"
	"context"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

// answerMax bounds the answer read: an OPTIONS answer is a head only.
const answerMax = 8 << 10

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{
		Name:     "rtsp",
		Proto:    portspec.TCP,
		Ports:    []uint16{554, 8554},
		TLSPorts: []uint16{322},
		Rarity:   5,
	}
}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	req := "OPTIONS rtsp://" + c.HostPort() + "/ RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: ajar\r\n\r\n"
	b, err := c.Exchange([]byte(req), untilHead, answerMax)
	if len(b) == 0 {
		if err == nil {
			return nil, fingerprint.ErrNoMatch
		}
		return nil, err
	}
	return Parse(b)
}

// untilHead is a ReadUntil test: the head ended, or the bytes cannot be
// RTSP.
func untilHead(b []byte) bool {
	if n := min(len(b), 5); !bytes.Equal(b[:n], []byte("RTSP/")[:n]) {
		return true
	}
	return bytes.Contains(b, []byte("\r\n\r\n")) || bytes.Contains(b, []byte("\n\n"))
}

// products are servers known by the start of their Server header: the
// name to report, CPE vendor and product.
var products = []struct{ prefix, product, vendor, cpe string }{
	{"GStreamer RTSP server", "GStreamer RTSP server", "gstreamer_project", "gstreamer"},
	{"LIVE555 Streaming Media", "LIVE555 Streaming Media", "live555", "streaming_media"},
	{"DSS", "Darwin Streaming Server", "apple", "darwin_streaming_server"},
	{"Wowza Streaming Engine", "Wowza Streaming Engine", "wowza", "streaming_engine"},
	{"VLC", "VLC", "videolan", "vlc_media_player"},
	{"gortsplib", "gortsplib", "", ""},
	{"MediaMTX", "MediaMTX", "", ""},
	{"Helix", "Helix Server", "realnetworks", "helix_server"},
}

// Parse reads an RTSP server's answer. It returns fingerprint.ErrNoMatch
// unless the answer starts with an RTSP status line.
func Parse(b []byte) (*record.Service, error) {
	status, fields, ok := parseHead(b)
	if !ok {
		return nil, fingerprint.ErrNoMatch
	}
	svc := &record.Service{Name: "rtsp", Confidence: 8}
	if cseq, ok := fields["cseq"]; ok && strings.TrimSpace(cseq) == "1" {
		svc.Confidence = 10
	}
	if server := fields["server"]; server != "" {
		describe(svc, server)
	}
	if status == "401" {
		svc.ExtraInfo = join(svc.ExtraInfo, "authentication required")
	}
	return svc, nil
}

// parseHead reads the status line "RTSP/1.0 200 OK" and the header
// fields, names lower-cased (the first of each kept).
func parseHead(b []byte) (status string, fields map[string]string, ok bool) {
	line, rest, _ := bytes.Cut(b, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	if len(line) < len("RTSP/1.0 200") || !bytes.HasPrefix(line, []byte("RTSP/")) ||
		!isDigit(line[5]) || line[6] != '.' || !isDigit(line[7]) || line[8] != ' ' ||
		!isDigit(line[9]) || !isDigit(line[10]) || !isDigit(line[11]) || (len(line) > 12 && line[12] != ' ') {
		return "", nil, false
	}
	status = string(line[9:12])
	fields = make(map[string]string)
	for len(rest) > 0 && len(fields) < 64 {
		line, rest, _ = bytes.Cut(rest, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		key := strings.ToLower(string(bytes.TrimSpace(name)))
		if _, dup := fields[key]; !dup {
			fields[key] = clean(string(bytes.TrimSpace(value)), 200)
		}
	}
	return status, fields, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// describe fills the product and version from a Server header:
// "LIVE555 Streaming Media v2023.01.19", "DSS/5.5.5 (Build/489.16; ...)",
// "GStreamer RTSP server", or any "name/version".
func describe(svc *record.Service, server string) {
	for _, p := range products {
		if !strings.HasPrefix(strings.ToLower(server), strings.ToLower(p.prefix)) {
			continue
		}
		rest := server[len(p.prefix):]
		if p.prefix == "DSS" && !strings.HasPrefix(rest, "/") {
			continue
		}
		svc.Product, svc.Version = p.product, version(rest)
		if p.vendor != "" {
			svc.CPE = []string{fingerprint.CPE(p.vendor, p.cpe, svc.Version)}
		}
		return
	}
	name, rest, _ := strings.Cut(server, " ")
	product, ver, found := strings.Cut(name, "/")
	if found {
		svc.Product, svc.Version = product, version(ver)
		if rest != "" {
			svc.ExtraInfo = strings.Trim(rest, "() ")
		}
		return
	}
	svc.Product = server
}

// version reads the version at the start of s, past "/", " v" or
// " version ": digits and dots, with letters, '-', '+' or '_' inside.
func version(s string) string {
	s = strings.TrimLeft(s, "/ ")
	s = strings.TrimPrefix(strings.TrimPrefix(s, "Version "), "version ")
	s = strings.TrimPrefix(s, "v")
	if s == "" || !isDigit(s[0]) {
		return ""
	}
	end := 0
	for end < len(s) && end < 40 && s[end] != ' ' && s[end] != '(' && s[end] != ';' && s[end] != ',' {
		end++
	}
	return s[:end]
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// clean keeps printable ASCII (other bytes become '?') and cuts to max
// bytes.
func clean(s string, max int) string {
	if len(s) > max {
		s = s[:max]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r >= 0x7f {
			return '?'
		}
		return r
	}, s)
}

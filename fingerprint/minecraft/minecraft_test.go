package minecraft

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"testing"

	"github.com/ajarsec/ajar/fingerprint/fptest"
)

// specJSON is the example Status Response of the Server List Ping page of
// the protocol's community specification (wiki.vg), its favicon cut.
const specJSON = `{"version":{"name":"1.19.3","protocol":761},"players":{"max":100,"online":5,` +
	`"sample":[{"name":"thinkofdeath","id":"4566e69f-c907-48ee-8d71-d7ba5aa00d20"}]},` +
	`"description":{"text":"Hello, world!"},"favicon":"data:image/png;base64,AAAA","enforcesSecureChat":true}`

// paperJSON is a Paper server's, whose version name carries its own.
const paperJSON = `{"version":{"name":"Paper 1.20.4","protocol":765},"players":{"max":20,"online":0},` +
	`"description":"A Minecraft Server"}`

// packet frames a status JSON as the Status Response packet.
func packet(js string) []byte {
	p := append([]byte{0x00}, binary.AppendUvarint(nil, uint64(len(js)))...)
	p = append(p, js...)
	return append(binary.AppendUvarint(nil, uint64(len(p))), p...)
}

func TestParse(t *testing.T) {
	svc := fptest.CheckParse(t, "Parse", Parse, packet(specJSON))
	if svc == nil || svc.Version != "1.19.3" || svc.ExtraInfo != "protocol 761; 5/100 players" ||
		svc.CPE[0] != "cpe:2.3:a:mojang:minecraft:1.19.3:*:*:*:*:*:*:*" {
		t.Errorf("Parse(spec) = %+v", svc)
	}
	svc = fptest.CheckParse(t, "Parse", Parse, packet(paperJSON))
	if svc == nil || svc.Version != "1.20.4" || svc.ExtraInfo != "protocol 765; server Paper; 0/20 players" {
		t.Errorf("Parse(paper) = %+v", svc)
	}
	fptest.NoMatch(t, "Parse", Parse, "", string(Request("localhost", 25565)),
		string(packet(`{"version":{"name":"1.19.3"}}`)), string(packet(`{"text":"hi"}`)), string(packet(`not json`)),
		string(packet(specJSON)[:40]), string(append(packet(specJSON), 0)), "HTTP/1.1 400 Bad Request\r\n\r\n",
		`{"version":{"name":"1.19.3","protocol":761}}`)
}

func FuzzParse(f *testing.F) {
	f.Add(packet(specJSON))
	f.Add(packet(paperJSON))
	f.Add(Request("localhost", 25565))
	f.Fuzz(func(t *testing.T, b []byte) {
		fptest.CheckParse(t, "Parse", Parse, b)
		whole(b)
	})
}

// server reads the handshake and the status request, and answers.
func server(c net.Conn) {
	r := bufio.NewReader(c)
	for i := 0; i < 2; i++ {
		n, err := binary.ReadUvarint(r)
		if err != nil || n > 1024 {
			return
		}
		if _, err := io.CopyN(io.Discard, r, int64(n)); err != nil {
			return
		}
	}
	c.Write(packet(specJSON))
	io.Copy(io.Discard, c)
}

func TestIdentifyLive(t *testing.T) {
	if svc := fptest.MustMatch(t, plugin{}, fptest.Serve(t, server)); svc.Version != "1.19.3" {
		t.Errorf("got %+v", svc)
	}
	fptest.MustNotMatch(t, plugin{}, fptest.Serve(t, func(c net.Conn) { io.Copy(c, c) }))
	fptest.MustNotMatch(t, plugin{}, fptest.HangUp(t))
}

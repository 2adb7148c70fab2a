// Package irc recognises IRC servers (RFC 2812) by registering a client:
// NICK and USER, answered by the welcome numerics 001 to 004, of which
// 002 and 004 name the server software and version. Servers that greet
// with NOTICE AUTH lines, ask for PONG or refuse the client are IRC too.
package irc

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{
		Name:     "irc",
		Proto:    portspec.TCP,
		Ports:    []uint16{194, 6665, 6666, 6667, 6668, 6669},
		TLSPorts: []uint16{6697, 7000},
		Rarity:   6,
	}
}

// replyMax bounds what is read from the server.
const replyMax = 32 << 10

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	nick := fmt.Sprintf("ajar%04d", rand.IntN(10000))
	req := "NICK " + nick + "\r\nUSER ajar 0 * :ajar\r\n"
	var all []byte
	var handled handledSet
	stop := func(b []byte) bool { return read(join(all, b)).done(handled) }
	b, err := c.Exchange([]byte(req), stop, replyMax)
	all = append(all, b...)
	// A server may ask for PONG, or find the nickname taken, before it
	// welcomes the client: answer each once.
	for round := 0; err == nil && round < 2; round++ {
		r := read(all)
		var answer string
		switch {
		case r.ping != "" && !handled.ping:
			answer, handled.ping = "PONG :"+r.ping+"\r\n", true
		case r.nickInUse && !handled.nick:
			answer, handled.nick = "NICK "+nick+"_\r\n", true
		}
		if answer == "" {
			break
		}
		if err = c.Write([]byte(answer)); err != nil {
			break
		}
		b, err = c.ReadUntil(stop, replyMax-len(all))
		all = append(all, b...)
	}
	svc, perr := Parse(all)
	if perr != nil {
		return nil, perr
	}
	c.Write([]byte("QUIT\r\n")) // a courtesy: the answer does not matter
	return svc, nil
}

// handledSet says which server requests the client has answered.
type handledSet struct{ ping, nick bool }

func join(a, b []byte) []byte {
	out := make([]byte, 0, len(a)+len(b))
	return append(append(out, a...), b...)
}

// reading is what the server's lines say so far.
type reading struct {
	msgs []Message
	// foreign is true when a line is not an IRC message.
	foreign    bool
	registered bool
	refused    bool
	ping       string
	nickInUse  bool
}

func read(b []byte) reading {
	var r reading
	for _, l := range lines(b) {
		if l == "" {
			continue
		}
		m, ok := parseMessage(l)
		if !ok {
			r.foreign = true
			break
		}
		r.msgs = append(r.msgs, m)
		switch m.Command {
		case "004", "005", "375", "376", "422":
			r.registered = true
		case "ERROR", "464", "465", "466":
			r.refused = true
		case "PING":
			if len(m.Params) > 0 {
				r.ping = m.Params[0]
			}
		case "433", "432", "436", "437":
			r.nickInUse = true
		}
	}
	return r
}

// done reports whether reading on would tell nothing more: the client is
// registered or refused, the peer does not speak IRC, or the server
// asks for something the client has not answered yet.
func (r reading) done(h handledSet) bool {
	return r.registered || r.refused || r.foreign ||
		(r.ping != "" && !h.ping) || (r.nickInUse && !h.nick)
}

// Parse reads what an IRC server said to a registering client.
func Parse(b []byte) (*record.Service, error) {
	r := read(b)
	svc := &record.Service{Name: "irc", Confidence: 8}
	irc := false
	var server, version, refusal string
	for _, m := range r.msgs {
		switch {
		case m.Command == "NOTICE" || m.Command == "PING" || m.Command == "CAP":
			irc = true
		case m.Command == "ERROR" && len(m.Params) > 0:
			irc, refusal = true, m.Params[len(m.Params)-1]
		case len(m.Command) == 3 && isDigit(m.Command[0]) && m.Prefix != "" && len(m.Params) > 0:
			irc = true
			server, version = numeric(m, server, version)
			if m.Command == "001" {
				svc.Confidence = 10
			}
			if m.Command == "465" || m.Command == "464" {
				refusal = m.Params[len(m.Params)-1]
			}
		}
	}
	if !irc {
		return nil, fingerprint.ErrNoMatch
	}
	if version != "" {
		product(svc, version)
	}
	if server != "" {
		svc.ExtraInfo = joinInfo(svc.ExtraInfo, "server "+server)
	}
	if refusal != "" {
		svc.ExtraInfo = joinInfo(svc.ExtraInfo, "refusing: "+refusal)
	}
	return svc, nil
}

var yourHost = regexp.MustCompile(`^Your host is ([^,\s]+), running version (\S+)`)

// numeric takes the server name and version from RPL_YOURHOST (002) and
// RPL_MYINFO (004: nick, server name, version, user modes, channel
// modes), the latter preferred.
func numeric(m Message, server, version string) (string, string) {
	switch m.Command {
	case "002":
		if v := yourHost.FindStringSubmatch(m.Params[len(m.Params)-1]); v != nil && version == "" {
			server, version = v[1], v[2]
		}
	case "004":
		if len(m.Params) >= 3 {
			server, version = m.Params[1], m.Params[2]
		}
	}
	return server, version
}

// products are the version strings of well-known servers: the first
// group is the version.
var products = []struct {
	re                    *regexp.Regexp
	product, vendor, name string
}{
	{regexp.MustCompile(`(?i)^ngircd-([0-9][\w.~+-]*)`), "ngircd", "ngircd", "ngircd"},
	{regexp.MustCompile(`(?i)^unreal(?:ircd)?-?([0-9][\w.]*)`), "UnrealIRCd", "unrealircd", "unrealircd"},
	{regexp.MustCompile(`(?i)^inspircd-([0-9][\w.]*)`), "InspIRCd", "inspircd", "inspircd"},
	{regexp.MustCompile(`(?i)^(?:ircd-)?hybrid-([0-9][\w.]*)`), "Hybrid IRCd", "", ""},
	{regexp.MustCompile(`(?i)^ircd-ratbox-([0-9][\w.]*)`), "ircd-ratbox", "", ""},
	{regexp.MustCompile(`(?i)^charybdis-([0-9][\w.]*)`), "Charybdis", "", ""},
	{regexp.MustCompile(`(?i)^solanum-([0-9][\w.]*)`), "Solanum", "", ""},
	{regexp.MustCompile(`(?i)^(?:ergo|oragono)-v?([0-9][\w.]*)`), "Ergo", "", ""},
	{regexp.MustCompile(`(?i)^bahamut-([0-9][\w.]*)`), "Bahamut", "", ""},
	{regexp.MustCompile(`^u([0-9]+\.[0-9][\w.]*)`), "ircu", "", ""},
}

func product(svc *record.Service, version string) {
	for _, p := range products {
		m := p.re.FindStringSubmatch(version)
		if m == nil {
			continue
		}
		svc.Product, svc.Version = p.product, strings.TrimRight(m[1], ".-")
		if p.vendor != "" {
			svc.CPE = []string{fingerprint.CPE(p.vendor, p.name, svc.Version)}
		}
		return
	}
	svc.ExtraInfo = joinInfo(svc.ExtraInfo, "version "+version)
}

func joinInfo(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

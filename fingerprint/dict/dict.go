// Package dict recognises DICT servers (RFC 2229). Their greeting is a
// 220 reply, as FTP's, SMTP's and NNTP's are, so its shape names nothing:
// a DICT greeting ends with a message id in angle brackets, usually after
// a capability list ("220 vm dictd 1.13.0/rf on Linux <auth.mime>
// <1.1.17@vm>"), and the server must answer SHOW SERVER with 114 (or HELP
// with 113), which no other protocol's server does.
package dict

import (
	"context"
	"regexp"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/internal/banner"
	"github.com/ajarsec/ajar/fingerprint/internal/reply"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "dict", Proto: portspec.TCP, Ports: []uint16{2628}, ServerFirst: true, Rarity: 7}
}

// replyMax bounds one reply read.
const replyMax = 8 << 10

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	svc, err := Parse(c.Banner())
	if err != nil {
		return nil, err
	}
	for _, cmd := range []string{"SHOW SERVER", "HELP"} {
		r, err := reply.Exchange(c, cmd+"\r\n", replyMax)
		if err != nil {
			return nil, fingerprint.ErrNoMatch
		}
		if Confirms(cmd, r) {
			return svc, nil
		}
	}
	return nil, fingerprint.ErrNoMatch
}

// Confirms reports whether r answers cmd as only a DICT server does:
// 114 to SHOW SERVER (RFC 2229 3.10.4), 113 to HELP (3.11).
func Confirms(cmd string, r reply.Reply) bool {
	switch cmd {
	case "SHOW SERVER":
		return r.Code == 114
	case "HELP":
		return r.Code == 113
	}
	return false
}

// greeting is RFC 2229's banner (3.1): 220, text, optional capabilities
// in angle brackets, and a message id "<...@...>" at the end.
var greeting = regexp.MustCompile(`^220 (.*?)\s*(<[\w.\-]*>)?\s*<[^<>@\s]*@[^<>\s]*>\s*$`)

var products = banner.Products{
	banner.Pattern(`\bdictd ([0-9][\w.\-]*)`, "dictd", "dict", "dictd"),
	banner.Pattern(`\(GNU Dico\) ([0-9][\w.\-]*)`, "GNU Dico", "gnu", "dico"),
}

// Parse reads a DICT greeting: its shape, not yet a confirmation.
func Parse(b []byte) (*record.Service, error) {
	r, err := reply.Parse(b)
	if err != nil || r.Code != 220 || len(r.Lines) != 1 {
		return nil, fingerprint.ErrNoMatch
	}
	m := greeting.FindStringSubmatch("220 " + r.Lines[0])
	if m == nil || !banner.IsText(r.Lines[0]) {
		return nil, fingerprint.ErrNoMatch
	}
	svc := &record.Service{Name: "dict", Confidence: 10}
	if !products.Apply(svc, m[1]) {
		svc.ExtraInfo = strings.TrimSpace(m[1])
	}
	if m[2] != "" {
		svc.ExtraInfo = banner.JoinInfo(svc.ExtraInfo, "capabilities "+strings.Trim(m[2], "<>"))
	}
	return svc, nil
}

// Package finger recognises finger servers (RFC 1288). The plugin asks
// about user root, who exists on every Unix host: a server that answers
// in the long form ("Login: root", then "Name:", "Directory:" or
// "Shell:") is asked again, on a new connection, for the list of users
// logged in, and is named only when that answer is a finger list too
// ("No one logged on.", or a table whose header starts "Login").
package finger

import (
	"context"
	"regexp"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/internal/ask"
	"github.com/ajarsec/ajar/fingerprint/internal/banner"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "finger", Proto: portspec.TCP, Ports: []uint16{79}, Rarity: 8}
}

const (
	userQuery = "root\r\n"
	listQuery = "\r\n"
	maxAnswer = 8 << 10
)

func (plugin) Identify(ctx context.Context, c *fingerprint.Conn) (*record.Service, error) {
	user, err := ask.ToClose(c, []byte(userQuery), maxAnswer)
	if err != nil {
		return nil, err
	}
	if err := ParseUser(user); err != nil {
		return nil, err
	}
	again, err := c.Redial(ctx)
	if err != nil {
		return nil, fingerprint.ErrNoMatch
	}
	defer again.Close()
	list, err := ask.ToClose(again, []byte(listQuery), maxAnswer)
	if err != nil {
		return nil, fingerprint.ErrNoMatch
	}
	return ParseList(list)
}

var (
	// loginRoot is the long form's first line about root: BSD and GNU
	// finger write "Login: root" and then "Name: ..." on the same
	// line; older ones "Login name: root".
	loginRoot = regexp.MustCompile(`(?m)^Login(?: name)?: root\b`)
	// longField is one of the long form's other fields.
	longField = regexp.MustCompile(`(?m)(?:^|\t|\s{2})(?:Name|In real life|Directory|Shell): `)
)

// ParseUser reads the answer about root: text in the long form.
func ParseUser(b []byte) error {
	text := string(b)
	if !isText(text) || !loginRoot.MatchString(text) || !longField.MatchString(text) {
		return fingerprint.ErrNoMatch
	}
	return nil
}

// ParseList reads the list of users logged in: "No one logged on." or
// a table under a header starting "Login" with a "Tty" (or "TTY")
// column, or the long form of each user.
func ParseList(b []byte) (*record.Service, error) {
	text := strings.TrimSpace(string(b))
	if !isText(text) || text == "" {
		return nil, fingerprint.ErrNoMatch
	}
	first, _, _ := strings.Cut(text, "\n")
	first = strings.TrimSpace(first)
	svc := &record.Service{Name: "finger", Confidence: 9}
	switch {
	case first == "No one logged on." || first == "No one logged on":
		svc.ExtraInfo = "no one logged on"
	case strings.HasPrefix(first, "Login") && strings.Contains(strings.ToLower(first), "tty"):
		svc.ExtraInfo = "lists the users logged on"
	case strings.HasPrefix(first, "Login: ") && longField.MatchString(text):
		svc.ExtraInfo = "lists the users logged on"
	default:
		return nil, fingerprint.ErrNoMatch
	}
	return svc, nil
}

// isText reports whether every line of an answer is text.
func isText(s string) bool {
	for _, l := range strings.Split(s, "\n") {
		if !banner.IsText(strings.TrimSuffix(l, "\r")) {
			return false
		}
	}
	return true
}

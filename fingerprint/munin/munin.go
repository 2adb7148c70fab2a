// Package munin recognises Munin nodes (munin-node(1), the Munin
// protocol): the node greets "# munin node at <hostname>", and answers
// "version" with "munins node on <hostname> version: <version>".
package munin

import (
	"bytes"
	"context"
	"strings"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/internal/banner"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { fingerprint.Register(plugin{}) }

type plugin struct{}

func (plugin) Info() fingerprint.Info {
	return fingerprint.Info{Name: "munin", Proto: portspec.TCP, Ports: []uint16{4949}, ServerFirst: true, Rarity: 7}
}

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	svc, err := Parse(c.Banner())
	if err != nil {
		return nil, err
	}
	if b, err := c.Exchange([]byte("version\n"), fingerprint.UntilLine, 512); err == nil {
		if v := ParseVersion(b); v != "" {
			svc.Version = v
			svc.CPE = []string{fingerprint.CPE("munin-monitoring", "munin", v)}
		}
	}
	return svc, nil
}

// Parse reads the greeting: "# munin node at " and a host name.
func Parse(b []byte) (*record.Service, error) {
	line, _, ok := bytes.Cut(b, []byte("\n"))
	host, found := bytes.CutPrefix(line, []byte("# munin node at "))
	if !ok || !found || len(host) == 0 || len(host) > 255 || !banner.IsText(host) || bytes.ContainsAny(host, " \t") {
		return nil, fingerprint.ErrNoMatch
	}
	return &record.Service{Name: "munin", Product: "Munin node", ExtraInfo: "host " + string(host),
		CPE: []string{fingerprint.CPE("munin-monitoring", "munin", "")}, Confidence: 10}, nil
}

// ParseVersion reads the answer to "version": "munins node on <host>
// version: <version>".
func ParseVersion(b []byte) string {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	if !bytes.HasPrefix(line, []byte("munins node on ")) {
		return ""
	}
	_, v, ok := strings.Cut(string(line), " version: ")
	v = strings.TrimSpace(v)
	if !ok || v == "" || len(v) > 32 || v[0] < '0' || v[0] > '9' || strings.ContainsAny(v, " \t") {
		return ""
	}
	return v
}

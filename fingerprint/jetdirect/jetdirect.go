// Package jetdirect recognises printers' raw print ports (HP JetDirect,
// AppSocket) by Printer Job Language: between two Universal Exit
// Language sequences the plugin asks "@PJL INFO ID" (HP's PJL Technical
// Reference Manual, chapter 7), which a printer answers by echoing the
// command and naming its model on the next line, in quotes, ended by a
// form feed. Nothing is printed: a job of PJL commands alone has no page.
package jetdirect

import (
	"bytes"
	"context"
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
	return fingerprint.Info{Name: "jetdirect", Proto: portspec.TCP, Ports: []uint16{9100}, Rarity: 8}
}

const (
	// uel is the Universal Exit Language sequence that starts and ends
	// a PJL job.
	uel       = "\x1b%-12345X"
	command   = "@PJL INFO ID"
	maxAnswer = 2048
)

// Request is the PJL job that asks for the printer's model.
func Request() []byte { return []byte(uel + command + "\r\n" + uel + "\r\n") }

func (plugin) Identify(_ context.Context, c *fingerprint.Conn) (*record.Service, error) {
	b, err := ask.Exchange(c, Request(), fingerprint.UntilContains("\f"), maxAnswer)
	if err != nil {
		return nil, err
	}
	return Parse(b)
}

// Parse reads the answer to Request: perhaps a UEL, the command echoed
// on its own line, then the model on the next, in quotes or ended by the
// form feed.
func Parse(b []byte) (*record.Service, error) {
	b = bytes.TrimPrefix(b, []byte(uel))
	lines := strings.SplitN(string(b), "\n", 3)
	if len(lines) < 2 || !strings.EqualFold(strings.TrimSpace(lines[0]), command) {
		return nil, fingerprint.ErrNoMatch
	}
	id := strings.TrimSpace(lines[1])
	quoted := len(id) >= 2 && id[0] == '"' && id[len(id)-1] == '"'
	fed := len(lines) == 3 && strings.TrimSpace(lines[2]) == "\f"
	if !quoted && !fed {
		return nil, fingerprint.ErrNoMatch
	}
	if quoted {
		id = id[1 : len(id)-1]
	}
	id = strings.TrimSpace(id)
	if id == "" || !banner.IsText(id) || len(id) > 128 || strings.HasPrefix(strings.ToUpper(id), "@PJL") {
		return nil, fingerprint.ErrNoMatch
	}
	svc := &record.Service{Name: "jetdirect", Confidence: 10, ExtraInfo: "PJL"}
	describe(svc, id)
	return svc, nil
}

// describe names the model: "HP LaserJet 4250", or Brother's
// "Brother HL-L2360D series:84U-F75:Ver.b.26" with its firmware.
func describe(svc *record.Service, id string) {
	model, rest, _ := strings.Cut(id, ":")
	svc.Product = strings.TrimSpace(model)
	for _, f := range strings.Split(rest, ":") {
		if v, ok := strings.CutPrefix(f, "Ver."); ok {
			svc.Version = v
		}
	}
	if vendor, name, ok := strings.Cut(svc.Product, " "); ok && name != "" {
		svc.CPE = []string{fingerprint.CPEPart("h", vendor, name, "")}
	}
}

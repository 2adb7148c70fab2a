package netsvc

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/fingerprint/x11"
	"github.com/ajarsec/ajar/portspec"
	"github.com/ajarsec/ajar/record"
)

func init() { audit.Register(x11Check{}) }

// x11Check sends the X11 connection setup without authorization and
// closes once the server has answered: no request is made.
type x11Check struct{}

func (x11Check) Info() audit.Info {
	return audit.Info{Name: "x11-access", Services: []string{"x11"}, Proto: portspec.TCP}
}

func (x11Check) Run(ctx context.Context, t *audit.Target) ([]record.Finding, error) {
	c, err := t.DialPlain(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	b, err := audit.Exchange(c, x11.Setup, untilLen(8), 8)
	if err != nil {
		return nil, fmt.Errorf("connection setup: %w", err)
	}
	return JudgeX11(b)
}

// JudgeX11 judges the first eight bytes of an X server's answer to a
// connection setup with no authorization: Success (1) means anyone who
// reaches the port may read the screen and every keystroke, and type
// into any window.
func JudgeX11(b []byte) ([]record.Finding, error) {
	if len(b) < 8 || b[0] != 1 || binary.LittleEndian.Uint16(b[2:]) != 11 {
		return nil, audit.ErrNotApplicable
	}
	return []record.Finding{{
		ID: "x11-open", Category: record.NoAuth, Severity: record.Critical,
		Title:    "X server accepts clients without authorization: screen, keystrokes and input open to anyone",
		Evidence: audit.Evidence([]byte(fmt.Sprintf("connection setup with no authorization: Success, protocol 11.%d", binary.LittleEndian.Uint16(b[4:])))),
		Remediation: "stop listening on TCP (`-nolisten tcp`, the default of Xorg and Xvfb; no `-listen tcp`), drop `-ac` " +
			"and `xhost +`, and use SSH X11 forwarding (`ssh -X`) for remote clients",
		References: []string{"CWE-306", "https://www.x.org/releases/current/doc/man/man7/Xsecurity.7.xhtml"},
		Confidence: record.Confirmed,
	}}, nil
}
